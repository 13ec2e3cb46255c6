import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { type SpawnedApp, spawnApp, spawnGateway } from './support/spawn-app.js';
import { createTestEnv, randomSecret, type TestEnv } from './support/test-env.js';

/** Runs the built gateway with `env` and returns how it ended, failing if it keeps running. */
async function startAndExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const app = spawnApp('gateway', env);
  const timer = setTimeout(() => void app.stop(), 20_000);
  const code = await app.exited;
  clearTimeout(timer);
  return { code, output: app.output() };
}

/** jest.config.js sets testTimeout per project, where Jest ignores it: each hook and test says its own. */
const SLOW = 60_000;

describe('configuration at start-up', () => {
  describe('in production', () => {
    let env: TestEnv;
    let prod: Record<string, string>;

    beforeAll(async () => {
      env = await createTestEnv({ NODE_ENV: 'production', LOG_LEVEL: 'warn' });
      prod = env.env;
    }, SLOW);

    afterAll(async () => {
      await env?.cleanup();
    }, SLOW);

    it.each(['ADMIN_API_KEY', 'KEY_PEPPER'])(
      'refuses to start without %s',
      async (name) => {
        const rest = { ...prod };
        delete rest[name];
        const { code, output } = await startAndExit(rest);
        expect(code).toBe(78);
        expect(output).toContain(`${name} is required in production`);
        for (const other of ['ADMIN_API_KEY', 'KEY_PEPPER']) {
          if (other !== name) expect(output).not.toContain(prod[other]);
        }
      },
      SLOW,
    );

    const cases: [string, string, () => string, string][] = [
      [
        'a short ADMIN_API_KEY',
        'ADMIN_API_KEY',
        () => randomBytes(15).toString('hex'),
        'shorter than 32',
      ],
      [
        'a short KEY_PEPPER',
        'KEY_PEPPER',
        () => randomBytes(12).toString('base64url'),
        'shorter than 32',
      ],
      [
        'a change-me ADMIN_API_KEY',
        'ADMIN_API_KEY',
        () => `change-me-please-${randomSecret()}`,
        'placeholder',
      ],
      ['a your-… KEY_PEPPER', 'KEY_PEPPER', () => `your-pepper-${randomSecret()}`, 'placeholder'],
    ];

    it.each(cases)(
      'refuses %s, naming it and never showing it',
      async (_label, name, make, reason) => {
        const value = make();
        const { code, output } = await startAndExit({ ...prod, [name]: value });
        expect(code).toBe(78);
        // \b: API_KEY must be named itself, not found inside ADMIN_API_KEY.
        expect(output).toMatch(new RegExp(`\\b${name} is (a )?${reason}`));
        expect(output).not.toContain(value);
        expect(output).not.toContain(value.slice(-20));
      },
      SLOW,
    );

    it(
      'refuses a placeholder CREDENTIALS_PUBLIC_KEY with exit 78, naming it',
      async () => {
        const value = 'change-me-run-npm-run-keys-generate';
        const { code, output } = await startAndExit({ ...prod, CREDENTIALS_PUBLIC_KEY: value });
        expect(code).toBe(78);
        expect(output).toContain('CREDENTIALS_PUBLIC_KEY is a placeholder value');
        expect(output).not.toContain(value);
      },
      SLOW,
    );

    it(
      'refuses a placeholder password inside DATABASE_URL with exit 78, naming it',
      async () => {
        const password = `change-me-${randomSecret()}`;
        const url = new URL(prod.DATABASE_URL ?? '');
        url.password = password;
        const { code, output } = await startAndExit({ ...prod, DATABASE_URL: url.toString() });
        expect(code).toBe(78);
        expect(output).toContain("DATABASE_URL's password is a placeholder value");
        expect(output).not.toContain(password);
      },
      SLOW,
    );

    it(
      'refuses the removed bootstrap API_KEY instead of accepting an unlimited, unrevocable key',
      async () => {
        const value = randomSecret();
        const { code, output } = await startAndExit({ ...prod, API_KEY: value });
        expect(code).toBe(78);
        expect(output).toContain('API_KEY was removed');
        expect(output).toContain('POST /api/v1/admin/keys');
        expect(output).not.toContain(value);
      },
      SLOW,
    );

    it.each(['KEY_PEPPER'])(
      'refuses ADMIN_API_KEY reused as %s',
      async (name) => {
        const shared = randomSecret();
        const { code, output } = await startAndExit({
          ...prod,
          ADMIN_API_KEY: shared,
          [name]: shared,
        });
        expect(code).toBe(78);
        expect(output).toContain(`${name} must differ from ADMIN_API_KEY`);
        expect(output).not.toContain(shared);
      },
      SLOW,
    );

    it(
      'refuses CORS_ORIGINS with *',
      async () => {
        const { code, output } = await startAndExit({
          ...prod,
          CORS_ORIGINS: 'https://app.example,*',
        });
        expect(code).toBe(78);
        expect(output).toContain('CORS_ORIGINS');
        expect(output).not.toContain(prod.ADMIN_API_KEY);
        expect(output).not.toContain(prod.KEY_PEPPER);
      },
      SLOW,
    );

    it.each([
      ['PORT', () => `abc${randomBytes(4).toString('hex')}`],
      ['DATABASE_URL', () => `not a url ${randomBytes(12).toString('hex')}`],
    ])(
      'refuses an invalid %s, naming it',
      async (name, make) => {
        const value = make();
        const { code, output } = await startAndExit({ ...prod, [name]: value });
        expect(code).toBe(78);
        expect(output).toContain(`${name}:`);
        expect(output).not.toContain(value);
        expect(output).not.toContain(prod.ADMIN_API_KEY);
      },
      SLOW,
    );

    it(
      'starts with a sound production configuration',
      async () => {
        let gw: (SpawnedApp & { url: string }) | undefined;
        try {
          gw = await spawnGateway({
            ...prod,
            CORS_ORIGINS: 'https://app.example',
          });
          await request(gw.url).get('/health').expect(200);
          await request(gw.url)
            .get('/api/v1/admin/keys')
            .set('x-api-key', prod.ADMIN_API_KEY)
            .expect(200);
          expect(gw.output()).not.toContain(prod.ADMIN_API_KEY);
          expect(gw.output()).not.toContain(prod.KEY_PEPPER);
        } finally {
          await gw?.stop();
        }
      },
      SLOW,
    );
  });

  describe('outside production', () => {
    let env: TestEnv;
    let dir: string;
    let secretsFile: string;
    const running: SpawnedApp[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gatehouse-dev-secrets-'));
      secretsFile = join(dir, 'dev-secrets.json');
      env = await createTestEnv({
        ADMIN_API_KEY: undefined,
        KEY_PEPPER: undefined,
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        DEV_SECRETS_FILE: secretsFile,
      });
    }, SLOW);

    afterAll(async () => {
      for (const app of running) await app.stop();
      await env?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, SLOW);

    it(
      'generates the secrets, prints the admin key on first start only, and the key works',
      async () => {
        const first = await spawnGateway(env.env);
        running.push(first);
        const stored = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>;
        expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
        expect(stored.ADMIN_API_KEY?.length).toBeGreaterThanOrEqual(32);
        expect(stored.KEY_PEPPER?.length).toBeGreaterThanOrEqual(32);

        const printed = first.output().match(/gha_[0-9a-f]{48}/g) ?? [];
        expect(printed).toEqual([stored.ADMIN_API_KEY]);
        expect(first.output()).not.toContain(stored.KEY_PEPPER);
        const created = await request(first.url)
          .post('/api/v1/admin/keys')
          .set('x-api-key', printed[0] ?? '')
          .send({ name: 'dev' })
          .expect(201);
        await first.stop();

        const second = await spawnGateway(env.env);
        running.push(second);
        expect(second.output()).not.toContain(stored.ADMIN_API_KEY);
        expect(second.output()).not.toMatch(/gha_[0-9a-f]{48}/);
        expect(JSON.parse(readFileSync(secretsFile, 'utf8'))).toEqual(stored);
        // Same pepper on restart: the key created before still authenticates.
        await request(second.url)
          .get('/api/v1/me')
          .set('x-api-key', (created.body as { key: string }).key)
          .expect(200);
        await request(second.url)
          .get('/api/v1/admin/keys')
          .set('x-api-key', stored.ADMIN_API_KEY ?? '')
          .expect(200);
      },
      SLOW,
    );
  });

  describe('AUDIT_REDACT_PATTERNS', () => {
    let env: TestEnv;

    beforeAll(async () => {
      env = await createTestEnv({ LOG_LEVEL: 'warn' });
    }, SLOW);

    afterAll(async () => {
      await env?.cleanup();
    }, SLOW);

    it.each([
      ['a comma-separated list', 'corp-[0-9]{6}, internal-[a-z]+', /JSON array/],
      ['a pattern that backtracks catastrophically', '["(a+)+$"]', /entry 1 backtracks too much/],
    ])(
      'refuses %s at start, naming the variable',
      async (_name, value, reason) => {
        const { code, output } = await startAndExit({ ...env.env, AUDIT_REDACT_PATTERNS: value });
        expect(code).toBe(78);
        expect(output).toContain('AUDIT_REDACT_PATTERNS');
        expect(output).toMatch(reason);
        expect(output).not.toMatch(/\n\s+at /); // no stack trace
      },
      SLOW,
    );
  });
});
