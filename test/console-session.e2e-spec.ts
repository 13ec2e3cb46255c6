import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { type SpawnedApp, spawnGateway } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

type Gateway = SpawnedApp & { url: string };
type Res = request.Response;

const SESSION = '/api/v1/admin/session';
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };
const FAILURE_LIMIT = 3;

/** What a browser would send back: the session cookie's name=value. */
function cookieOf(res: Res): string {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = set.find((c) => c.startsWith('gatehouse_console='));
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(set)}`);
  return cookie.split(';')[0] ?? '';
}

function storeKeyOf(prefix: string, cookie: string): string {
  const id = cookie.slice('gatehouse_console='.length);
  return `${prefix}:console-session:${createHash('sha256').update(id).digest('hex')}`;
}

describe('console sessions and CSRF on the admin API', () => {
  let env: TestEnv;
  let gw: Gateway;
  let redis: Redis;

  const signIn = (key: string, headers: Record<string, string> = SAME_ORIGIN) =>
    request(gw.url).post(SESSION).set('x-api-key', key).set(headers);

  beforeAll(async () => {
    env = await createTestEnv({
      AUTH_FAILURE_LIMIT: String(FAILURE_LIMIT),
      CONSOLE_SESSION_IDLE_MINUTES: '15',
      CONSOLE_SESSION_MAX_HOURS: '8',
    });
    gw = await spawnGateway(env.env);
    redis = new Redis(TEST_REDIS_URL);
  }, 60_000);

  afterAll(async () => {
    redis?.disconnect();
    await gw?.stop();
    await env?.cleanup();
  }, 30_000);

  it('signs in with the admin key and answers a session cookie that only the admin API gets', async () => {
    const res = await signIn(env.adminKey).expect(201);
    const set = String(([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]);
    expect(set).toMatch(/^gatehouse_console=[A-Za-z0-9_-]{43}; /);
    expect(set).toContain('; Path=/api/v1/admin');
    expect(set).toContain('; HttpOnly');
    expect(set).toContain('; SameSite=Strict');
    expect(set).toContain('; Secure'); // NODE_ENV=test is not development
    expect(set).toContain(`; Max-Age=${8 * 3600}`);
    expect(res.body).toEqual({
      csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown,
      expires_at: expect.any(String) as unknown,
      idle_timeout_seconds: 15 * 60,
    });
    expect(JSON.stringify(res.body)).not.toContain(env.adminKey);
  });

  it('keeps the session in Redis under its hash only, for the idle timeout', async () => {
    const cookie = cookieOf(await signIn(env.adminKey).expect(201));
    const id = cookie.split('=')[1] ?? '';
    const storeKey = storeKeyOf(env.redisPrefix, cookie);
    const ttl = await redis.pttl(storeKey);
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    const stored = String(await redis.get(storeKey));
    expect(stored).not.toContain(id);
    expect(stored).not.toContain(env.adminKey);
    expect(await redis.keys(`${env.redisPrefix}:*${id}*`)).toEqual([]);
  });

  it('lets the session read the admin API, and never a client route', async () => {
    const cookie = cookieOf(await signIn(env.adminKey).expect(201));
    const keys = await request(gw.url).get('/api/v1/admin/keys').set('cookie', cookie).expect(200);
    expect(Array.isArray(keys.body.data)).toBe(true);
    const current = await request(gw.url).get(SESSION).set('cookie', cookie).expect(200);
    expect(current.body.csrf_token).toEqual(expect.any(String));
    expect((await request(gw.url).get('/v1/models').set('cookie', cookie)).status).toBe(401);
    expect((await request(gw.url).get('/api/v1/me').set('cookie', cookie)).status).toBe(401);
  });

  it('refuses writes without the CSRF token, with a wrong one, or from another site', async () => {
    const res = await signIn(env.adminKey).expect(201);
    const cookie = cookieOf(res);
    const csrf = String(res.body.csrf_token);
    const post = () => request(gw.url).post('/api/v1/admin/keys').set('cookie', cookie);

    const missing = await post().set(SAME_ORIGIN).send({ name: 'no token' });
    expect(missing.status).toBe(403);
    expect(missing.body.error.type).toBe('permission_denied');
    const wrong = await post()
      .set(SAME_ORIGIN)
      .set('x-csrf-token', randomBytes(32).toString('base64url'))
      .send({ name: 'wrong token' });
    expect(wrong.status).toBe(403);
    const crossSite = await post()
      .set('sec-fetch-site', 'cross-site')
      .set('x-csrf-token', csrf)
      .send({ name: 'cross site' });
    expect(crossSite.status).toBe(403);
    const foreignOrigin = await post()
      .set('origin', 'https://evil.example')
      .set('x-csrf-token', csrf)
      .send({ name: 'foreign origin' });
    expect(foreignOrigin.status).toBe(403);
    const unlabelled = await post().set('x-csrf-token', csrf).send({ name: 'no fetch metadata' });
    expect(unlabelled.status).toBe(403);

    const listed = await request(gw.url).get('/api/v1/admin/keys?limit=200').set('cookie', cookie);
    const names = (listed.body.data as { name: string }[]).map((k) => k.name);
    expect(names).not.toEqual(expect.arrayContaining(['no token']));
    expect(names.filter((n) => /token|site|origin|metadata/.test(n))).toEqual([]);

    const created = await post()
      .set(SAME_ORIGIN)
      .set('x-csrf-token', csrf)
      .send({ name: 'console key' })
      .expect(201);
    expect(created.body.key).toMatch(/^gk_/);
  });

  it('leaves the API-key paths as they were: a key needs no cookie and no CSRF token', async () => {
    const created = await createKey(gw.url, env.adminKey, { name: 'scripted' });
    expect(created.key).toMatch(/^gk_/);
    const client = await request(gw.url).get('/api/v1/me').set('x-api-key', created.key);
    expect(client.status).toBe(200);
  });

  it('finds keys by name or prefix', async () => {
    const a = await createKey(gw.url, env.adminKey, { name: 'search-alpha_1' });
    await createKey(gw.url, env.adminKey, { name: 'search-beta' });
    const byName = await request(gw.url)
      .get('/api/v1/admin/keys?search=ALPHA_1')
      .set('x-api-key', env.adminKey)
      .expect(200);
    expect((byName.body.data as { id: string }[]).map((k) => k.id)).toEqual([a.id]);
    const byPrefix = await request(gw.url)
      .get(`/api/v1/admin/keys?search=${a.prefix}`)
      .set('x-api-key', env.adminKey)
      .expect(200);
    expect((byPrefix.body.data as { id: string }[]).map((k) => k.id)).toEqual([a.id]);
    const wildcard = await request(gw.url)
      .get('/api/v1/admin/keys?search=%25')
      .set('x-api-key', env.adminKey)
      .expect(200);
    expect(wildcard.body.data).toEqual([]);
  });

  it('gives a new session id at every sign-in and ends the one it replaces', async () => {
    const first = cookieOf(await signIn(env.adminKey).expect(201));
    const second = cookieOf(
      await signIn(env.adminKey, { ...SAME_ORIGIN, cookie: first }).expect(201),
    );
    expect(second).not.toBe(first);
    expect((await request(gw.url).get(SESSION).set('cookie', first)).status).toBe(401);
    expect((await request(gw.url).get(SESSION).set('cookie', second)).status).toBe(200);
  });

  it('ends a session at its absolute lifetime, however recently used', async () => {
    const cookie = cookieOf(await signIn(env.adminKey).expect(201));
    const storeKey = storeKeyOf(env.redisPrefix, cookie);
    const record = JSON.parse(String(await redis.get(storeKey))) as { expires_at: number };
    await redis.set(storeKey, JSON.stringify({ ...record, expires_at: Date.now() - 1 }), 'KEEPTTL');
    const res = await request(gw.url).get('/api/v1/admin/keys').set('cookie', cookie);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/session has ended/);
    expect(await redis.exists(storeKey)).toBe(0);
  });

  it('ends a session that was idle too long (its Redis key expired)', async () => {
    const cookie = cookieOf(await signIn(env.adminKey).expect(201));
    await redis.del(storeKeyOf(env.redisPrefix, cookie));
    expect((await request(gw.url).get('/api/v1/admin/keys').set('cookie', cookie)).status).toBe(
      401,
    );
  });

  it('signs out with the CSRF token only, and the cookie is worthless after', async () => {
    const res = await signIn(env.adminKey).expect(201);
    const cookie = cookieOf(res);
    expect(
      (await request(gw.url).delete(SESSION).set('cookie', cookie).set(SAME_ORIGIN)).status,
    ).toBe(403);
    const out = await request(gw.url)
      .delete(SESSION)
      .set('cookie', cookie)
      .set(SAME_ORIGIN)
      .set('x-csrf-token', String(res.body.csrf_token))
      .expect(204);
    expect(String(([] as string[]).concat(out.headers['set-cookie'] ?? [])[0])).toMatch(
      /^gatehouse_console=; Path=\/api\/v1\/admin; Max-Age=0;/,
    );
    expect(await redis.exists(storeKeyOf(env.redisPrefix, cookie))).toBe(0);
    expect((await request(gw.url).get('/api/v1/admin/keys').set('cookie', cookie)).status).toBe(
      401,
    );
  });

  it('refuses a sign-in another site starts, and a session standing in for the key at sign-in', async () => {
    expect((await signIn(env.adminKey, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const cookie = cookieOf(await signIn(env.adminKey).expect(201));
    const noKey = await request(gw.url).post(SESSION).set(SAME_ORIGIN).set('cookie', cookie);
    expect(noKey.status).toBe(401);
  });

  it('counts failed sign-ins toward the per-address lockout (last: it locks this address)', async () => {
    for (let i = 0; i < FAILURE_LIMIT; i++) {
      expect((await signIn(`wrong-${randomBytes(16).toString('hex')}`)).status).toBe(401);
    }
    // As for API keys: the failure beyond the limit locks the address, even for the right key.
    expect((await signIn(`wrong-${randomBytes(16).toString('hex')}`)).status).toBe(429);
    const locked = await signIn(env.adminKey);
    expect(locked.status).toBe(429);
    expect(locked.headers['retry-after']).toEqual(expect.any(String));
  });
});
