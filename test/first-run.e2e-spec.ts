import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { parse } from 'yaml';
import { runScript } from './support/run-script.js';
import { freePort, spawnGateway, waitFor } from './support/spawn-app.js';
import { migrateAsOwner } from './support/db-roles.js';
import { createTestEnv, type TestEnv, credentialKeyEnv } from './support/test-env.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

/**
 * `npm start` on a machine where Postgres or Redis is missing, locked or unprepared: it stops
 * before anything else (exit 69), and says per service what it tried (without the password), the
 * likely cause and the fix, with no stack trace.
 */

const ROOT = resolve(import.meta.dirname, '..');
const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A built script's exit code and everything it wrote (stdout, then stderr). */
async function runNode(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const run = await runScript(process.execPath, [join(ROOT, script)], {
    PATH: process.env.PATH ?? '',
    ...env,
  });
  return { code: run.code, out: run.stdout + run.stderr };
}

/** `npm start` (its built script) in development, with its own dev-secrets file. */
function start(env: Record<string, string>, dir: string) {
  return runNode('dist/scripts/start.js', {
    NODE_ENV: 'development',
    DEV_SECRETS_FILE: join(dir, 'dev-secrets.json'),
    LOG_LEVEL: 'silent',
    ...env,
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

describe('npm start once everything is there: the ready banner', () => {
  let env: TestEnv;
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    env = await createTestEnv();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-banner-'));
  });

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      process.kill(-child.pid, 'SIGTERM'); // npm start and the three apps it runs
      await exited;
    }
    await env?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says where everything is once all three apps are up, with the first run admin key', async () => {
    const port = await freePort();
    // A first run: no admin key configured, so one is generated and shown.
    const rest = Object.fromEntries(
      Object.entries(env.env).filter(([name]) => name !== 'ADMIN_API_KEY' && name !== 'KEY_PEPPER'),
    );
    child = spawn(process.execPath, [join(ROOT, 'dist/scripts/start.js')], {
      cwd: ROOT,
      env: {
        ...rest,
        NODE_ENV: 'development',
        HOST: '127.0.0.1',
        PORT: String(port),
        DEV_SECRETS_FILE: join(dir, 'dev-secrets.json'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(
      () => Promise.resolve(out.includes('Gatehouse is ready')),
      90_000,
      () => out,
    );
    const banner = out.slice(out.indexOf('Gatehouse is ready'));
    const url = `http://127.0.0.1:${port}`;
    expect(banner).toContain(`gateway       ${url}\n`);
    expect(banner).toContain(`queue board   ${url}/admin/queues`);
    expect(banner).toContain(`console       ${url}/console/`);
    expect(banner).toContain(`curl -s -X POST ${url}/api/v1/admin/accounts`);
    expect(banner).toContain(`curl -s -X POST ${url}/api/v1/admin/keys`);
    const adminKey = /ADMIN=(gha_[0-9a-f]+)/.exec(banner)?.[1] ?? '';
    const kept = JSON.parse(readFileSync(join(dir, 'dev-secrets.json'), 'utf8')) as {
      ADMIN_API_KEY: string;
    };
    expect(adminKey).toBe(kept.ADMIN_API_KEY);
    // The key it shows works, and the apps are really up.
    await request(url).get('/api/v1/admin/keys').set('x-api-key', adminKey).expect(200);
  }, 120_000);
});

describe('npm run services', () => {
  it('starts nothing without Docker, and prints the package-manager lines (exit 69)', async () => {
    // A PATH with the shell tools but without docker.
    const run = await runScript('sh', [join(ROOT, 'scripts/services.sh')], {
      PATH: '/usr/bin:/bin',
    });
    const res = { code: run.code, out: run.stdout + run.stderr };
    expect(res.code).toBe(69);
    expect(res.out).toContain('Docker is not available here');
    expect(res.out).toMatch(
      /apt-get install -y postgresql redis-server|brew install|install PostgreSQL/,
    );
  });

  it('runs Postgres and Redis on loopback only, with the production Redis settings', () => {
    type Dev = {
      services: Record<string, { ports?: string[]; command?: string[]; volumes?: string[] }>;
      volumes: Record<string, unknown>;
    };
    const dev = parse(readFileSync(join(ROOT, 'docker-compose.dev.yml'), 'utf8')) as Dev;
    expect(Object.keys(dev.services).sort()).toEqual(['postgres', 'redis']);
    expect(dev.services.postgres?.ports).toEqual(['127.0.0.1:5432:5432']);
    expect(dev.services.redis?.ports).toEqual(['127.0.0.1:6379:6379']);
    expect(dev.services.redis?.command?.join(' ')).toContain('--appendonly yes');
    expect(dev.services.redis?.command?.join(' ')).toContain('--maxmemory-policy noeviction');
    expect(Object.keys(dev.volumes).sort()).toEqual(['postgres-data', 'redis-data']);
  });
});

describe('log format', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv({ LOG_LEVEL: 'info' });
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  /** The lines a gateway logs while it starts and answers one request. */
  async function logLines(overrides: Record<string, string>): Promise<string[]> {
    const gw = await spawnGateway({ ...env.env, ...overrides });
    try {
      await request(gw.url).get('/health').expect(200);
      await new Promise((r) => setTimeout(r, 500)); // the pretty printer runs in a worker thread
    } finally {
      await gw.stop();
    }
    return gw
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '');
  }

  it('writes one JSON object per line with LOG_FORMAT=json', async () => {
    const lines = await logLines({ LOG_FORMAT: 'json' });
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('writes readable lines with LOG_FORMAT=pretty', async () => {
    const lines = await logLines({ LOG_FORMAT: 'pretty' });
    expect(lines.some((line) => line.includes('INFO') && line.includes('request completed'))).toBe(
      true,
    );
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
  });

  it('writes JSON in production whatever LOG_FORMAT says', async () => {
    const prod = await createTestEnv({ NODE_ENV: 'production', LOG_LEVEL: 'info' });
    try {
      const gw = await spawnGateway({ ...prod.env, LOG_FORMAT: 'pretty' });
      await request(gw.url).get('/health').expect(200);
      await gw.stop();
      const lines = gw
        .output()
        .split('\n')
        .filter((line) => line.trim() !== '');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    } finally {
      await prod.cleanup();
    }
  });
});

describe('npm run doctor', () => {
  let env: TestEnv;
  let redis: ChildProcess | undefined;
  let evictingPort: number;

  beforeAll(async () => {
    env = await createTestEnv({
      ...credentialKeyEnv(),
    });
    await migrateAsOwner(env.env);
    // A Redis of this suite's own that may evict keys, as a default install often does.
    evictingPort = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(evictingPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const { Redis } = await import('ioredis');
    await waitFor(async () => {
      const r = new Redis({ port: evictingPort, lazyConnect: true, retryStrategy: () => null });
      r.on('error', () => undefined);
      try {
        await r.connect();
        await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
        return true;
      } finally {
        r.disconnect();
      }
    }, 10_000);
  });

  afterAll(async () => {
    redis?.kill('SIGKILL');
    await env?.cleanup();
  });

  function doctor(overrides: Record<string, string> = {}) {
    return runNode('dist/scripts/doctor.js', { ...env.env, ...overrides });
  }

  it('reports every check ok on a prepared machine', async () => {
    const { code, out } = await doctor();
    expect(out).toMatch(/^PostgreSQL\s+ok /m);
    expect(out).toMatch(/^Redis eviction\s+ok\s+maxmemory-policy noeviction/m);
    expect(out).toMatch(/^Migrations\s+ok\s+all \d+ applied/m);
    expect(out).toMatch(/^Credential keys\s+ok /m);
    expect(out).toMatch(/^Clock\s+ok /m);
    expect(code).toBe(0);
  });

  it('names a Redis that may evict keys, and what to set', async () => {
    const { code, out } = await doctor({ REDIS_URL: `redis://127.0.0.1:${evictingPort}` });
    expect(out).toMatch(/^Redis eviction\s+FIX\s+maxmemory-policy is "allkeys-lru"/m);
    expect(out).toContain('CONFIG SET maxmemory-policy noeviction');
    expect(code).toBe(1);
  });

  it('names pending migrations and missing credential keys', async () => {
    const fresh = await createTestEnv();
    try {
      const { code, out } = await doctor({
        DATABASE_URL: fresh.database.url,
        CREDENTIALS_PUBLIC_KEY: '',
        CREDENTIALS_PRIVATE_KEYS: '',
      });
      expect(out).toMatch(/^Migrations\s+FIX\s+\d+ pending/m);
      expect(out).toMatch(/^Credential keys\s+FIX .*npm run keys:generate/m);
      expect(code).toBe(1);
    } finally {
      await fresh.cleanup();
    }
  });
});
