import { randomBytes, randomInt } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { type SpawnedApp, spawnGateway } from './support/spawn-app.js';
import { createTestEnv, randomSecret, type TestEnv } from './support/test-env.js';

type Gateway = SpawnedApp & { url: string };

// Per hook and test: jest only honours `testTimeout` globally, not in the e2e project's config.
const TIMEOUT_MS = 60_000;

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A well-formed client key that belongs to nobody. */
function bogusKey(): string {
  const body = Array.from({ length: 40 }, () => BASE62[randomInt(BASE62.length)]).join('');
  return `gk_${randomBytes(4).toString('hex')}_${body}`;
}

/**
 * Polls `check` every ~50 ms and resolves with the milliseconds elapsed since `since` once it
 * holds; rejects if it still does not hold `limitMs` after `since`.
 */
async function msUntil(
  check: () => Promise<boolean>,
  since: number,
  limitMs: number,
): Promise<number> {
  for (;;) {
    if (await check()) return Date.now() - since;
    if (Date.now() - since > limitMs)
      throw new Error(`condition still false ${Date.now() - since} ms later`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function status(url: string, key: string): Promise<number> {
  return (await request(url).get('/api/v1/me').set('x-api-key', key)).status;
}

describe('key changes reach every replica within one second', () => {
  let env: TestEnv;
  let a: Gateway;
  let b: Gateway;
  let admin: string;

  beforeAll(async () => {
    // A cache TTL far beyond the test's deadlines: only the broadcast can explain an invalidation.
    env = await createTestEnv({ AUTH_CACHE_TTL_MS: '60000' });
    admin = env.adminKey;
    // One after the other, so afterAll stops whichever did start if the other one fails.
    a = await spawnGateway(env.env);
    b = await spawnGateway(env.env);
  }, TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await env?.cleanup();
  }, TIMEOUT_MS);

  it(
    'B really caches keys: a change made behind the API (no broadcast) is not seen',
    async () => {
      const { key, id } = await createKey(a.url, admin);
      expect(await status(b.url, key)).toBe(200);
      const db = new pg.Client({ connectionString: env.database.url });
      await db.connect();
      try {
        await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [id]);
      } finally {
        await db.end();
      }
      await new Promise((r) => setTimeout(r, 1200));
      // Still served from B's cache, so the checks below measure the broadcast and nothing else.
      expect(await status(b.url, key)).toBe(200);
    },
    TIMEOUT_MS,
  );

  it(
    'a revoke on A makes B answer 401 within one second',
    async () => {
      const { key, id } = await createKey(a.url, admin);
      expect(await status(b.url, key)).toBe(200);
      await request(a.url)
        .post(`/api/v1/admin/keys/${id}/revoke`)
        .set('x-api-key', admin)
        .expect(200);
      const since = Date.now();
      const elapsed = await msUntil(async () => (await status(b.url, key)) === 401, since, 3000);
      expect(elapsed).toBeLessThan(1000);
    },
    TIMEOUT_MS,
  );

  it(
    'a rotation without grace on A makes the old secret fail on B within one second',
    async () => {
      const { key, id } = await createKey(a.url, admin);
      expect(await status(b.url, key)).toBe(200);
      const rotated = await request(a.url)
        .post(`/api/v1/admin/keys/${id}/rotate`)
        .set('x-api-key', admin)
        .expect(200);
      const since = Date.now();
      const elapsed = await msUntil(async () => (await status(b.url, key)) === 401, since, 3000);
      expect(elapsed).toBeLessThan(1000);
      expect(await status(b.url, (rotated.body as { key: string }).key)).toBe(200);
    },
    TIMEOUT_MS,
  );

  it(
    'a PATCH of allowed_models on A shows on B within one second',
    async () => {
      const { key, id } = await createKey(a.url, admin, { allowed_models: ['gpt-4o'] });
      const before = await request(b.url).get('/api/v1/me').set('x-api-key', key).expect(200);
      expect((before.body as { allowed_models: string[] }).allowed_models).toEqual(['gpt-4o']);
      await request(a.url)
        .patch(`/api/v1/admin/keys/${id}`)
        .set('x-api-key', admin)
        .send({ allowed_models: ['claude-sonnet', 'gpt-4o-mini'] })
        .expect(200);
      const since = Date.now();
      const elapsed = await msUntil(
        async () => {
          const me = await request(b.url).get('/api/v1/me').set('x-api-key', key);
          return (
            me.status === 200 &&
            JSON.stringify((me.body as { allowed_models: string[] }).allowed_models) ===
              '["claude-sonnet","gpt-4o-mini"]'
          );
        },
        since,
        3000,
      );
      expect(elapsed).toBeLessThan(1000);
    },
    TIMEOUT_MS,
  );
});

describe.each(['info', 'debug'])('logs at LOG_LEVEL=%s hold no key material', (level) => {
  let env: TestEnv;
  let gw: Gateway;

  beforeAll(async () => {
    env = await createTestEnv({ LOG_LEVEL: level });
    gw = await spawnGateway(env.env);
  }, TIMEOUT_MS);

  afterAll(async () => {
    await gw?.stop();
    await env?.cleanup();
  }, TIMEOUT_MS);

  it(
    'logs requests by id without any secret the requests carried or returned',
    async () => {
      const admin = env.adminKey;
      // Named, so a failure says which secret leaked and on which line without printing it.
      const secrets = new Map<string, string>([
        ['ADMIN_API_KEY', admin],
        ['KEY_PEPPER', env.env.KEY_PEPPER ?? ''],
        ['PII_VAULT_KEY', env.env.PII_VAULT_KEY ?? ''],
      ]);
      const requestIds: string[] = [];
      const track = (res: request.Response): request.Response => {
        requestIds.push(String(res.headers['x-request-id']));
        return res;
      };

      const created = await createKey(gw.url, admin, { name: 'logged' });
      const other = await createKey(gw.url, admin, { name: 'to-rotate' });
      const bogus = bogusKey();
      const cookie = randomSecret();
      secrets
        .set('client key', created.key)
        .set('key to rotate', other.key)
        .set('bogus key', bogus);
      secrets.set('cookie', cookie);

      track(await request(gw.url).get('/api/v1/me').set('x-api-key', created.key).expect(200));
      track(
        await request(gw.url)
          .get('/api/v1/me')
          .set('Authorization', `Bearer ${created.key}`)
          .expect(200),
      );
      track(await request(gw.url).get('/api/v1/admin/keys').set('x-api-key', admin).expect(200));
      track(
        await request(gw.url)
          .get('/api/v1/admin/keys')
          .set('Authorization', `Bearer ${admin}`)
          .expect(200),
      );
      track(await request(gw.url).get('/api/v1/me').set('x-api-key', bogus).expect(401));
      track(
        await request(gw.url).get('/api/v1/me').set('Authorization', `Bearer ${bogus}`).expect(401),
      );
      track(await request(gw.url).get(`/api/v1/me?key=${created.key}`).expect(401));
      // Careless clients put keys in paths too: the logged path must not carry them.
      track(
        await request(gw.url)
          .get(`/api/v1/me/${created.key}`)
          .set('x-api-key', created.key)
          .expect(404),
      );
      track(
        await request(gw.url)
          .get(`/api/v1/admin/keys/${created.key}`)
          .set('x-api-key', admin)
          .expect(400),
      );
      track(
        await request(gw.url)
          .get('/api/v1/me')
          .set('x-api-key', created.key)
          .set('Cookie', `session=${cookie}`)
          .expect(200),
      );
      const fresh = track(
        await request(gw.url)
          .post('/api/v1/admin/keys')
          .set('x-api-key', admin)
          .send({ name: 'fresh' })
          .expect(201),
      );
      const rotated = track(
        await request(gw.url)
          .post(`/api/v1/admin/keys/${other.id}/rotate`)
          .set('x-api-key', admin)
          .send({})
          .expect(200),
      );
      track(
        await request(gw.url)
          .get('/api/v1/me')
          .set('x-api-key', (rotated.body as { key: string }).key)
          .expect(200),
      );
      secrets
        .set('created key', (fresh.body as { key: string }).key)
        .set('rotated key', (rotated.body as { key: string }).key);
      // Nor the random half of any client key on its own.
      for (const [name, value] of [...secrets]) {
        if (value.startsWith('gk_')) secrets.set(`${name} (random part)`, value.slice(12));
      }

      // pino writes synchronously, but give the pipe a moment to deliver the last lines.
      await new Promise((r) => setTimeout(r, 300));
      const output = gw.output();

      const leaks: string[] = [];
      for (const [name, secret] of secrets) {
        expect(secret.length).toBeGreaterThanOrEqual(32);
        for (const line of output.split('\n')) {
          if (line.includes(secret)) leaks.push(line.split(secret).join(`<${name}>`));
        }
      }
      expect(leaks).toEqual([]);

      const lines = output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { req?: { id?: string } });
      const logged = new Set(lines.map((l) => l.req?.id));
      expect(requestIds).toHaveLength(13);
      for (const id of requestIds) expect(logged.has(id)).toBe(true);
    },
    TIMEOUT_MS,
  );

  it(
    'logs an attacker-sized path capped, so redaction scans a bounded string',
    async () => {
      // 12 KB of `eyJ-` once cost tens of milliseconds of redaction per log line.
      const path = `/v1/${'eyJ-'.repeat(3_000)}`;
      const res = await request(gw.url).get(path);
      expect(res.status).toBe(404);
      const id = String(res.headers['x-request-id']);
      await new Promise((r) => setTimeout(r, 300));
      const line = gw
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { req?: { id?: string; path?: string } })
        .find((l) => l.req?.id === id);
      expect(line?.req?.path?.startsWith('/v1/eyJ-eyJ-')).toBe(true);
      expect(line?.req?.path?.length).toBeLessThanOrEqual(1025);
    },
    TIMEOUT_MS,
  );
});
