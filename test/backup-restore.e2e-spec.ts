import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { spawnGateway } from './support/spawn-app.js';
import { queryRows as query, runScript as run } from './support/run-script.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { createTestEnv, randomSecret, type TestEnv } from './support/test-env.js';

/**
 * scripts/backup.sh and scripts/restore.sh against the local Postgres: a key made through the
 * admin API survives backup, deletion and restore (into the same database and into a fresh
 * one), the dump is private to its owner, and the database password never shows: not in the
 * scripts' output, not on pg_dump's or pg_restore's command line. Local Postgres trusts
 * loopback, so the passwords in these URLs are ignored by the server and exist to be leaked.
 */

const ROOT = resolve(import.meta.dirname, '..');
const BACKUP = join(ROOT, 'scripts/backup.sh');
const RESTORE = join(ROOT, 'scripts/restore.sh');

/** `url` with `password` as its userinfo password or as a `password=` query parameter. */
function withPassword(url: string, password: string, where: 'userinfo' | 'query'): string {
  const u = new URL(url);
  if (where === 'userinfo') u.password = password;
  else u.searchParams.set('password', password);
  return u.toString();
}

describe('backup and restore scripts', () => {
  let env: TestEnv;
  let second: TestDatabase;
  let work: string;
  let toolEnv: Record<string, string>;
  let argvLog: string;
  let key: { id: string; key: string; name: string };
  let backupFile: string;
  const password = randomSecret();

  beforeAll(async () => {
    env = await createTestEnv();
    second = await createTestDatabase();
    work = mkdtempSync(join(tmpdir(), 'gatehouse-backup-'));

    // pg_dump and pg_restore wrapped to record their command lines, then run for real.
    const bin = join(work, 'bin');
    argvLog = join(work, 'argv.log');
    mkdirSync(bin);
    for (const tool of ['pg_dump', 'pg_restore']) {
      const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
      const wrapper = join(bin, tool);
      writeFileSync(
        wrapper,
        `#!/bin/sh\nprintf '%s %s PGPASSWORD=%s\\n' ${tool} "$*" "\${PGPASSWORD:-}" >> '${argvLog}'\nexec '${real}' "$@"\n`,
      );
      chmodSync(wrapper, 0o755);
    }
    toolEnv = { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: work, LC_ALL: 'C' };

    // Migrations run when a gateway starts; the key is made the way an operator makes one.
    const gateway = await spawnGateway(env.env);
    try {
      const created = await createKey(gateway.url, env.adminKey, { name: 'survives restore' });
      key = { id: created.id, key: created.key, name: 'survives restore' };
      await request(gateway.url).get('/api/v1/me').set('x-api-key', key.key).expect(200);
    } finally {
      await gateway.stop();
    }
  });

  afterAll(async () => {
    await second?.drop();
    await env?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('writes a private, timestamped custom-format dump and never shows the password', async () => {
    const dir = join(work, 'backups');
    const url = withPassword(env.database.url, password, 'userinfo');
    const result = await run(BACKUP, [dir], { ...toolEnv, DATABASE_URL: url });
    expect(result.stderr).not.toContain('DATABASE_URL is not set');
    expect(result.code).toBe(0);

    backupFile = result.stdout.trim();
    expect(dirname(backupFile)).toBe(dir);
    expect(basename(backupFile)).toMatch(
      new RegExp(`^${env.database.name}-\\d{8}T\\d{6}Z\\.dump$`),
    );
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // pg_dump's custom format starts with PGDMP.
    expect(readFileSync(backupFile).subarray(0, 5).toString()).toBe('PGDMP');

    const output = result.stdout + result.stderr;
    expect(output).toContain(env.database.name);
    expect(output).not.toContain(password);
    expect(output).not.toContain(url);
    // The password reached pg_dump through its environment, never its command line.
    const calls = readFileSync(argvLog, 'utf8');
    expect(calls).toContain(`pg_dump `);
    expect(calls).toContain(`PGPASSWORD=${password}`);
    for (const line of calls.trim().split('\n')) {
      expect(line.replace(`PGPASSWORD=${password}`, '')).not.toContain(password);
    }
  });

  it('refuses to restore without confirmation, and changes nothing', async () => {
    await query(env.database.url, 'DELETE FROM api_keys');
    expect(await query(env.database.url, 'SELECT id FROM api_keys')).toHaveLength(0);

    const url = withPassword(env.database.url, password, 'query');
    const refused = await run(RESTORE, [backupFile], { ...toolEnv, DATABASE_URL: url }, 'no\n');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('not confirmed');
    expect(refused.stderr).not.toContain(password);
    expect(await query(env.database.url, 'SELECT id FROM api_keys')).toHaveLength(0);
  });

  it('restores into the same database when the name is typed', async () => {
    const url = withPassword(env.database.url, password, 'query');
    const restored = await run(
      RESTORE,
      [backupFile],
      { ...toolEnv, DATABASE_URL: url },
      `${env.database.name}\n`,
    );
    expect(restored.stderr).toContain('restore complete');
    expect(restored.code).toBe(0);
    expect(restored.stdout + restored.stderr).not.toContain(password);

    const rows = await query<{ id: string; name: string }>(
      env.database.url,
      'SELECT id, name FROM api_keys',
    );
    expect(rows).toEqual([{ id: key.id, name: key.name }]);
    const calls = readFileSync(argvLog, 'utf8').trim().split('\n');
    const restoreCall = calls.filter((l) => l.startsWith('pg_restore --clean'));
    expect(restoreCall).toHaveLength(1);
    expect(restoreCall[0].replace(`PGPASSWORD=${password}`, '')).not.toContain(password);
  });

  it('puts changed rows back as they were in the backup', async () => {
    await query(env.database.url, `UPDATE api_keys SET name = 'tampered', revoked_at = now()`);
    const restored = await run(RESTORE, ['--yes', backupFile], {
      ...toolEnv,
      DATABASE_URL: env.database.url,
    });
    expect(restored.code).toBe(0);
    const rows = await query<{ name: string; revoked_at: Date | null }>(
      env.database.url,
      'SELECT name, revoked_at FROM api_keys',
    );
    expect(rows).toEqual([{ name: key.name, revoked_at: null }]);
  });

  it('restores into a fresh database that a gateway then serves the key from', async () => {
    const restored = await run(RESTORE, ['--yes', backupFile], {
      ...toolEnv,
      DATABASE_URL: withPassword(second.url, password, 'userinfo'),
    });
    expect(restored.code).toBe(0);
    expect(restored.stdout + restored.stderr).not.toContain(password);

    const gateway = await spawnGateway({ ...env.env, DATABASE_URL: second.url });
    try {
      const me = await request(gateway.url).get('/api/v1/me').set('x-api-key', key.key);
      expect(me.status).toBe(200);
      expect(me.body.key_id).toBe(key.id);
    } finally {
      await gateway.stop();
    }
  });

  it('refuses a file that is not a dump without touching the database', async () => {
    const bogus = join(work, 'not-a-dump.dump');
    writeFileSync(bogus, randomBytes(256));
    const result = await run(RESTORE, ['--yes', bogus], {
      ...toolEnv,
      DATABASE_URL: env.database.url,
    });
    expect(result.code).toBe(65);
    expect(await query(env.database.url, 'SELECT id FROM api_keys')).toHaveLength(1);
  });

  it('fails without DATABASE_URL and leaves no file behind', async () => {
    const dir = join(work, 'empty');
    const result = await run(BACKUP, [dir], toolEnv);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('DATABASE_URL is not set');

    const unreachable = await run(BACKUP, [dir], {
      ...toolEnv,
      DATABASE_URL: `postgres://postgres:${password}@127.0.0.1:1/nothing`,
    });
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stdout + unreachable.stderr).not.toContain(password);
    expect(readdirSync(dir)).toEqual([]);
  });
});
