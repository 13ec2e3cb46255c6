import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { queryRows as query, runScript as run } from './support/run-script.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { randomSecret } from './support/test-env.js';

/**
 * scripts/backup-now (what cron and the runbooks call) and scripts/latest-backup. The local
 * runner runs against the local Postgres, which trusts loopback: the passwords given here are
 * ignored by the server and exist to be leaked. The docker runner runs against a fake `docker`
 * that records what it was given, since the point is what reaches its command line.
 */

const ROOT = resolve(import.meta.dirname, '..');
const BACKUP_NOW = join(ROOT, 'scripts/backup-now');
const LATEST = join(ROOT, 'scripts/latest-backup');
const BACKUP = join(ROOT, 'scripts/backup.sh');
const RESTORE = join(ROOT, 'scripts/restore.sh');
const DAY = 24 * 60 * 60 * 1000;

/** The URL without user or password: credentials come from PGUSER/PGPASSWORD. */
function withoutUserinfo(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

/** A file with the given content and modification time `days` ago. */
function fileAged(path: string, days: number, content = 'old'): string {
  writeFileSync(path, content);
  const when = new Date(Date.now() - days * DAY);
  utimesSync(path, when, when);
  return path;
}

const STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z /;

describe('scripts/backup-now, local runner', () => {
  let db: TestDatabase;
  let fresh: TestDatabase;
  let work: string;
  let base: Record<string, string>;
  const password = randomSecret();
  const marker = `row-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    fresh = await createTestDatabase();
    await query(db.url, `CREATE TABLE kept (note text); INSERT INTO kept VALUES ('${marker}')`);
    work = mkdtempSync(join(tmpdir(), 'gatehouse-backup-now-'));
    // As the compose deployment does it: a URL without credentials, the owner in PG*.
    base = {
      PATH: process.env.PATH ?? '',
      HOME: work,
      LC_ALL: 'C',
      GATEHOUSE_BACKUP_RUNNER: 'local',
      DATABASE_URL: withoutUserinfo(db.url),
      PGUSER: new URL(db.url).username,
      PGPASSWORD: password,
    };
  });

  afterAll(async () => {
    await db?.drop();
    await fresh?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('writes a readable dump, prints its path, logs to ~/gatehouse-backup.log, never the password', async () => {
    const dir = join(work, 'first');
    const result = await run(BACKUP_NOW, [dir], base);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const file = result.stdout.trim();
    expect(dirname(file)).toBe(dir);
    expect(basename(file)).toMatch(new RegExp(`^${db.name}-\\d{8}T\\d{6}Z\\.dump$`));
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('PGDMP');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const log = readFileSync(join(work, 'gatehouse-backup.log'), 'utf8');
    const lines = log.trim().split('\n');
    for (const line of lines) expect(line).toMatch(STAMP);
    expect(log).toContain(`backup written: ${file}`);
    expect(log).toContain(`backing up database "${db.name}"`);
    expect(log + result.stdout + result.stderr).not.toContain(password);

    // The dump restores (as PGUSER, into a fresh database) with what was in the table.
    const restored = await run(RESTORE, ['--yes', file], {
      ...base,
      DATABASE_URL: withoutUserinfo(fresh.url),
    });
    expect(restored.code).toBe(0);
    expect(restored.stdout + restored.stderr).not.toContain(password);
    expect(await query(fresh.url, 'SELECT note FROM kept')).toEqual([{ note: marker }]);
  });

  it('prunes backups and .age copies older than the keep period, nothing else', async () => {
    const dir = join(work, 'prune');
    mkdirSync(dir, { mode: 0o700 });
    const old = fileAged(join(dir, `${db.name}-20240101T023000Z.dump`), 20);
    const oldAge = fileAged(join(dir, `${db.name}-20240101T023000Z.dump.age`), 20);
    const otherDbOld = fileAged(join(dir, 'gatehouse-20240102T023000Z.dump.age'), 30);
    const recent = fileAged(join(dir, `${db.name}-20240110T023000Z.dump`), 3);
    const recentAge = fileAged(join(dir, `${db.name}-20240110T023000Z.dump.age`), 3);
    const unrelated = [
      fileAged(join(dir, 'notes.txt'), 40),
      fileAged(join(dir, 'hand-made.dump'), 40),
      fileAged(join(dir, `${db.name}-20240101T023000Z.dump.partial`), 40),
      fileAged(join(dir, `${db.name}-20240101T023000Z.sql`), 40),
    ];
    const log = join(work, 'prune.log');

    const result = await run(BACKUP_NOW, [], {
      ...base,
      GATEHOUSE_BACKUP_DIR: dir,
      GATEHOUSE_BACKUP_LOG: log,
    });
    expect(result.code).toBe(0);
    const file = result.stdout.trim();
    expect(dirname(file)).toBe(dir);

    for (const gone of [old, oldAge, otherDbOld])
      expect([gone, existsSync(gone)]).toEqual([gone, false]);
    for (const kept of [file, recent, recentAge, ...unrelated]) {
      expect([kept, existsSync(kept)]).toEqual([kept, true]);
    }
    const text = readFileSync(log, 'utf8');
    expect(text).toContain(`pruned (older than 14 days): ${old}`);
    expect(text).toContain(`pruned (older than 14 days): ${oldAge}`);

    // A shorter keep period reaches the 3-day-old pair; the dump just made stays.
    const shorter = await run(BACKUP_NOW, [dir], {
      ...base,
      GATEHOUSE_BACKUP_LOG: log,
      GATEHOUSE_BACKUP_KEEP_DAYS: '2',
    });
    expect(shorter.code).toBe(0);
    expect(existsSync(recent)).toBe(false);
    expect(existsSync(recentAge)).toBe(false);
    expect(existsSync(shorter.stdout.trim())).toBe(true);
    for (const kept of unrelated) expect([kept, existsSync(kept)]).toEqual([kept, true]);
  });

  it('fails clearly when the database is unreachable, and keeps every older backup', async () => {
    const dir = join(work, 'unreachable');
    mkdirSync(dir, { mode: 0o700 });
    const old = fileAged(join(dir, 'gatehouse-20240101T023000Z.dump'), 30);
    const oldAge = fileAged(join(dir, 'gatehouse-20240101T023000Z.dump.age'), 30);
    const log = join(work, 'unreachable.log');

    const result = await run(BACKUP_NOW, [dir], {
      ...base,
      DATABASE_URL: `postgres://gatehouse_app:${password}@127.0.0.1:1/gatehouse`,
      GATEHOUSE_BACKUP_LOG: log,
    });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('backup FAILED');
    expect(existsSync(old)).toBe(true);
    expect(existsSync(oldAge)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([basename(old), basename(oldAge)]);

    const text = readFileSync(log, 'utf8');
    expect(text).toMatch(/backup FAILED/);
    expect(text).toMatch(/127\.0\.0\.1.*port 1 failed/);
    expect(text).not.toContain('pruned');
    expect(text + result.stdout + result.stderr).not.toContain(password);
  });

  it('refuses to start without DATABASE_URL, a usable log or a sane keep period', async () => {
    const dir = join(work, 'refused');
    const withoutUrl = { ...base };
    delete withoutUrl.DATABASE_URL;
    const noUrl = await run(BACKUP_NOW, [dir], withoutUrl);
    expect(noUrl.code).toBe(64);
    expect(noUrl.stderr).toContain('DATABASE_URL is not set');

    const noLog = await run(BACKUP_NOW, [dir], {
      ...base,
      GATEHOUSE_BACKUP_LOG: join(work, 'no-such-dir', 'backup.log'),
    });
    expect(noLog.code).toBe(73);
    expect(noLog.stderr).toContain('cannot write the log file');

    for (const days of ['0', 'two', '-3']) {
      const bad = await run(BACKUP_NOW, [dir], { ...base, GATEHOUSE_BACKUP_KEEP_DAYS: days });
      expect([days, bad.code]).toEqual([days, 64]);
      expect(bad.stderr).toContain('GATEHOUSE_BACKUP_KEEP_DAYS');
    }
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });
});

describe('backup.sh and restore.sh with a URL without credentials', () => {
  let db: TestDatabase;
  let work: string;
  const password = randomSecret();

  beforeAll(async () => {
    db = await createTestDatabase();
    work = mkdtempSync(join(tmpdir(), 'gatehouse-pgenv-'));
  });

  afterAll(async () => {
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('connect as PGUSER (libpq reads it when the URL names no user)', async () => {
    const role = `no_such_role_${randomBytes(4).toString('hex')}`;
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: work,
      LC_ALL: 'C',
      DATABASE_URL: withoutUserinfo(db.url),
      PGPASSWORD: password,
    };
    const refused = await run(BACKUP, [join(work, 'a')], { ...env, PGUSER: role });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(role);
    expect(refused.stdout + refused.stderr).not.toContain(password);

    const made = await run(BACKUP, [join(work, 'a')], {
      ...env,
      PGUSER: new URL(db.url).username,
    });
    expect(made.code).toBe(0);
    const restoredAsRole = await run(RESTORE, ['--yes', made.stdout.trim()], {
      ...env,
      PGUSER: role,
    });
    expect(restoredAsRole.code).not.toBe(0);
    expect(restoredAsRole.stderr).toContain(role);
  });
});

describe('scripts/backup-now, docker runner', () => {
  let work: string;
  let bin: string;
  let record: string;
  let envFile: string;
  let base: Record<string, string>;
  const appPassword = randomSecret();
  const superPassword = randomSecret();
  const oldPassword = randomSecret();
  const composeImage = /\n {2}postgres:\n(?: {4}.*\n)*? {4}image: (\S+)/.exec(
    readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'),
  )?.[1];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'gatehouse-backup-docker-'));
    bin = join(work, 'bin');
    record = join(work, 'record');
    mkdirSync(bin);
    mkdirSync(record);
    // A fake docker: `info` answers (or not), `run` records its argv one per line, the names of
    // its environment and the credentials it was given, then does what backup.sh would: a dump
    // in the directory mounted on /backups and its in-container path on stdout.
    writeFileSync(
      join(bin, 'docker'),
      `#!/bin/sh
case "$1" in
  info)
    if [ -n "\${FAKE_DOCKER_DOWN:-}" ]; then
      echo "permission denied while trying to connect to the Docker daemon socket" >&2
      exit 1
    fi
    exit 0 ;;
  run)
    printf '%s\\n' "$@" > '${record}/argv'
    env | sed 's/=.*//' | sort > '${record}/env-names'
    printf '%s' "\${PGUSER:-}" > '${record}/pguser'
    printf '%s' "\${PGPASSWORD:-}" > '${record}/pgpassword'
    printf '%s' "\${DATABASE_URL:-}" > '${record}/database-url'
    prev=""
    for a in "$@"; do
      if [ "$prev" = -v ]; then case "$a" in *:/backups) host=\${a%:/backups} ;; esac; fi
      prev=$a
    done
    printf 'PGDMP' > "$host/gatehouse-20990101T000000Z.dump"
    echo 'backing up database "gatehouse" on postgres:5432' >&2
    echo /backups/gatehouse-20990101T000000Z.dump
    exit 0 ;;
esac
exit 2
`,
    );
    chmodSync(join(bin, 'docker'), 0o755);
    envFile = join(work, '.env.postgres');
    writeFileSync(
      envFile,
      [
        '# Postgres credentials (operators only)',
        `POSTGRES_PASSWORD=${superPassword}`,
        'APP_DB_USER=gatehouse_app',
        `# APP_DB_PASSWORD=${oldPassword}`,
        `APP_DB_PASSWORD=${appPassword}`,
        `APP_DB_PASSWORD_OTHER=${oldPassword}`,
        '',
      ].join('\n'),
    );
    base = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      HOME: work,
      LC_ALL: 'C',
      GATEHOUSE_ENV_FILE: envFile,
    };
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('runs backup.sh in the compose postgres image, the password passed by name only', async () => {
    expect(composeImage).toMatch(/^postgres:/);
    const dir = join(work, 'backups');
    const result = await run(BACKUP_NOW, [dir], base);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${dir}/gatehouse-20990101T000000Z.dump\n`);

    const argv = readFileSync(join(record, 'argv'), 'utf8').trim().split('\n');
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    expect(argv.slice(0, 2)).toEqual(['run', '--rm']);
    expect(argv).toEqual(
      expect.arrayContaining(['--network', 'gatehouse_internal', '--user', `${uid}:${gid}`]),
    );
    expect(argv.slice(-4)).toEqual([composeImage, 'sh', '/scripts/backup.sh', '/backups']);
    expect(argv).toContain(`${dir}:/backups`);
    expect(argv).toContain(`${join(ROOT, 'scripts')}:/scripts:ro`);
    // Each credential by name: `-e NAME`, never `-e NAME=value`.
    for (const name of ['PGUSER', 'PGPASSWORD', 'DATABASE_URL']) {
      const at = argv.indexOf(name);
      expect([name, argv[at - 1]]).toEqual([name, '-e']);
    }
    expect(argv.filter((a) => a.includes('='))).toEqual([]);
    const joined = argv.join(' ');
    for (const secret of [appPassword, superPassword, oldPassword]) {
      expect(joined).not.toContain(secret);
    }

    // The values reached docker through its environment: the owner role and its password.
    expect(readFileSync(join(record, 'env-names'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['PGUSER', 'PGPASSWORD', 'DATABASE_URL']),
    );
    expect(readFileSync(join(record, 'pguser'), 'utf8')).toBe('gatehouse_app');
    expect(readFileSync(join(record, 'pgpassword'), 'utf8')).toBe(appPassword);
    expect(readFileSync(join(record, 'database-url'), 'utf8')).toBe(
      'postgres://postgres:5432/gatehouse',
    );

    const log = readFileSync(join(work, 'gatehouse-backup.log'), 'utf8');
    expect(log).toContain(`backup written: ${dir}/gatehouse-20990101T000000Z.dump`);
    expect(log).toContain('backing up database "gatehouse"');
    for (const secret of [appPassword, superPassword]) {
      expect(log + result.stdout + result.stderr).not.toContain(secret);
    }
  });

  it('says what is missing: the env file, a variable, docker access', async () => {
    const dir = join(work, 'missing');
    rmSync(join(record, 'argv'), { force: true });

    const noFile = await run(BACKUP_NOW, [dir], {
      ...base,
      GATEHOUSE_ENV_FILE: join(work, 'nowhere', '.env.postgres'),
    });
    expect(noFile.code).not.toBe(0);
    expect(noFile.stderr).toContain(`cannot read ${join(work, 'nowhere', '.env.postgres')}`);

    const partial = join(work, 'partial.env');
    writeFileSync(partial, `APP_DB_USER=gatehouse_app\n# APP_DB_PASSWORD=${oldPassword}\n`);
    const noPassword = await run(BACKUP_NOW, [dir], { ...base, GATEHOUSE_ENV_FILE: partial });
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toContain('APP_DB_PASSWORD is not set');
    expect(noPassword.stderr).not.toContain(oldPassword);

    writeFileSync(partial, `APP_DB_PASSWORD=${appPassword}\n`);
    const noUser = await run(BACKUP_NOW, [dir], { ...base, GATEHOUSE_ENV_FILE: partial });
    expect(noUser.code).not.toBe(0);
    expect(noUser.stderr).toContain('APP_DB_USER is not set');

    // A user outside the docker group is told how to join it (a fake `id` plays that user).
    writeFileSync(
      join(bin, 'id'),
      `#!/bin/sh\ncase "$*" in -u | -g) echo 1000 ;; -un | -gn) echo ops ;; -nG) echo ops adm ;; *) exit 1 ;; esac\n`,
    );
    chmodSync(join(bin, 'id'), 0o755);
    try {
      const outside = await run(BACKUP_NOW, [dir], { ...base, FAKE_DOCKER_DOWN: '1' });
      expect(outside.code).toBe(69);
      expect(outside.stderr).toContain('ops is not in the docker group');
      expect(outside.stderr).toContain('sudo usermod -aG docker ops');
    } finally {
      rmSync(join(bin, 'id'));
    }
    const down = await run(BACKUP_NOW, [dir], { ...base, FAKE_DOCKER_DOWN: '1' });
    expect(down.code).toBe(69);
    expect(down.stderr).toMatch(/docker (is not reachable|group)/);

    expect(existsSync(join(record, 'argv'))).toBe(false);
    const log = readFileSync(join(work, 'gatehouse-backup.log'), 'utf8');
    expect(log).toContain('APP_DB_PASSWORD is not set');
    expect(log).toContain('permission denied while trying to connect to the Docker daemon');
    expect(log).not.toContain(appPassword);
  });
});

describe('scripts/latest-backup', () => {
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'gatehouse-latest-'));
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('prints the newest dump by the stamp in its name, never an .age copy or a partial file', async () => {
    const dir = join(work, 'backups');
    mkdirSync(dir);
    // Modification times deliberately disagree with the names: the name decides.
    fileAged(join(dir, 'gatehouse-20250103T023000Z.dump'), 5);
    fileAged(join(dir, 'gatehouse-20250101T023000Z.dump'), 0);
    fileAged(join(dir, 'gatehouse-20250104T023000Z.dump.age'), 0);
    fileAged(join(dir, 'gatehouse-20250105T023000Z.dump.partial'), 0);
    fileAged(join(dir, 'zzz-newest.dump'), 0);
    fileAged(join(dir, 'notes.txt'), 0);

    const result = await run(LATEST, [dir], { PATH: process.env.PATH ?? '', LC_ALL: 'C' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${dir}/gatehouse-20250103T023000Z.dump\n`);

    const fromEnv = await run(LATEST, [], {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_BACKUP_DIR: dir,
    });
    expect(fromEnv.stdout).toBe(`${dir}/gatehouse-20250103T023000Z.dump\n`);
  });

  it('fails when there is no dump', async () => {
    const dir = join(work, 'only-copies');
    mkdirSync(dir);
    fileAged(join(dir, 'gatehouse-20250104T023000Z.dump.age'), 0);
    const result = await run(LATEST, [dir], { PATH: process.env.PATH ?? '' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no backup');
  });
});

describe('the backup runbooks', () => {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => ({ name, text: readFileSync(join(ROOT, 'docs', name), 'utf8') }));

  it('call only shipped, executable scripts', () => {
    const named = docs.flatMap(({ name, text }) =>
      [...text.matchAll(/(?:^|[\s"'`(])(?:\/opt\/gatehouse\/)?scripts\/([\w.-]+)/gm)].map(
        (m) => [name, m[1]] as const,
      ),
    );
    expect(named.map(([, script]) => script)).toEqual(
      expect.arrayContaining(['backup-now', 'latest-backup']),
    );
    for (const [name, script] of named) {
      const path = join(ROOT, 'scripts', script);
      expect([name, script, existsSync(path)]).toEqual([name, script, true]);
      if (!script.includes('.')) {
        expect([name, script, statSync(path).mode & 0o111]).toEqual([name, script, 0o111]);
      }
    }
  });

  it('never pick the newest file of any kind, log where cron cannot write, or sudo a backup', () => {
    for (const { name, text } of docs) {
      expect([name, text]).not.toEqual([name, expect.stringMatching(/ls -t\b/)]);
      expect([name, text]).not.toEqual([
        name,
        expect.stringContaining('/var/log/gatehouse-backup'),
      ]);
      expect([name, text]).not.toEqual([
        name,
        expect.stringContaining('/opt/gatehouse/backup-now'),
      ]);
      expect([name, text]).not.toEqual([name, expect.stringMatching(/sudo\s+\S*backup/)]);
    }
  });
});
