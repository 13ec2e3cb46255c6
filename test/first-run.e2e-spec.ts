import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort, waitFor } from './support/spawn-app.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

/**
 * `npm start` on a machine where Postgres or Redis is missing, locked or unprepared: it stops
 * before anything else (exit 69), and says per service what it tried (without the password), the
 * likely cause and the fix, with no stack trace.
 */

const ROOT = resolve(import.meta.dirname, '..');
const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function start(
  env: Record<string, string>,
  dir: string,
): Promise<{ code: number | null; out: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/scripts/start.js')], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'development',
        DEV_SECRETS_FILE: join(dir, 'dev-secrets.json'),
        LOG_LEVEL: 'silent',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', rej);
    child.once('close', (code) => {
      clearTimeout(timer);
      res({ code, out });
    });
  });
}

describe('npm start before Postgres and Redis are ready', () => {
  let dir: string;
  let closed: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-first-run-'));
    closed = await freePort();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names what is not listening, where, and how to install it, without the password', async () => {
    const password = randomBytes(16).toString('hex');
    const { code, out } = await start(
      {
        DATABASE_URL: `postgres://someone:${password}@127.0.0.1:${closed}/gatehouse`,
        REDIS_URL: `redis://:${password}@127.0.0.1:${closed}`,
      },
      dir,
    );
    expect(code).toBe(69);
    expect(out).toContain('PostgreSQL is not usable');
    expect(out).toContain(
      `tried:  postgres://someone@127.0.0.1:${closed}/gatehouse (DATABASE_URL)`,
    );
    expect(out).toContain(`nothing is listening on 127.0.0.1:${closed}`);
    expect(out).toContain('sudo apt-get install -y postgresql');
    expect(out).toContain('Redis is not usable');
    expect(out).toContain('sudo apt-get install -y redis-server');
    expect(out).toContain('docker run -d --name gatehouse-redis');
    expect(out).not.toContain(password);
    expect(out).not.toMatch(/^\s+at /m); // no stack trace
  });

  describe('a Redis that wants a password', () => {
    let redis: ChildProcess;
    let port: number;
    const password = randomBytes(16).toString('hex');

    beforeAll(async () => {
      port = await freePort();
      redis = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--requirepass',
          password,
        ],
        { stdio: 'ignore' },
      );
      const probe = async () => {
        const { Redis } = await import('ioredis');
        const r = new Redis({ port, password, lazyConnect: true, retryStrategy: () => null });
        r.on('error', () => undefined);
        try {
          await r.connect();
          return (await r.ping()) === 'PONG';
        } finally {
          r.disconnect();
        }
      };
      await waitFor(probe, 10_000);
    });

    afterAll(() => {
      redis?.kill('SIGKILL');
    });

    it('says the password is missing, or wrong', async () => {
      const missing = await start({ REDIS_URL: `redis://127.0.0.1:${port}` }, dir);
      expect(missing.code).toBe(69);
      expect(missing.out).toContain('Redis requires a password and REDIS_URL carries none');
      expect(missing.out).not.toContain('PostgreSQL is not usable');
      const wrong = randomBytes(16).toString('hex');
      const rejected = await start({ REDIS_URL: `redis://:${wrong}@127.0.0.1:${port}` }, dir);
      expect(rejected.code).toBe(69);
      expect(rejected.out).toContain('Redis rejected the password in REDIS_URL');
      expect(rejected.out).not.toContain(wrong);
    });
  });

  it('says the database is missing and the role may not create it, with the command that does', async () => {
    const role = `ghpf_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN NOCREATEDB`);
    try {
      const url = new URL(ADMIN_URL);
      url.username = role;
      url.pathname = `/${role}_missing`;
      const { code, out } = await start(
        { DATABASE_URL: url.toString(), REDIS_URL: TEST_REDIS_URL },
        dir,
      );
      expect(code).toBe(69);
      expect(out).toContain(
        `the database "${role}_missing" does not exist, and role "${role}" may not create it`,
      );
      expect(out).toContain(`sudo -u postgres createdb -O "${role}" "${role}_missing"`);
      expect(out).not.toContain('Redis is not usable');
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });
});
