import { randomBytes, randomInt } from 'node:crypto';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { type SpawnedApp, spawnGateway } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { createRedisNamespace } from './support/test-redis.js';

type Gateway = SpawnedApp & { url: string };
type Headers = Record<string, string | undefined>;

/** A documentation-range address (RFC 5737) nobody else in this suite uses. */
const randomIp = () => `198.51.100.${randomInt(1, 255)}`;
const uniqueIps = (n: number) => {
  const ips = new Set<string>();
  while (ips.size < n) ips.add(`203.0.${randomInt(0, 256)}.${randomInt(1, 255)}`);
  return [...ips];
};

/** Well-formed but unknown client keys: each one is a failed authentication. */
const bogusKey = () =>
  `gk_${randomBytes(4).toString('hex')}_${randomBytes(30).toString('base64url').replace(/[-_]/g, 'a').slice(0, 40)}`;

const num = (v: string | undefined) => Number(v);

describe('throttling (per key, per IP, failed-auth lockout)', () => {
  let env: TestEnv;
  /** Default limits; used for key creation so the admin calls never touch a test's buckets. */
  let adminGw: Gateway;
  const extraGateways: Gateway[] = [];
  const namespaces: { cleanup(): Promise<void> }[] = [];

  /** Another gateway on the same database, with its own Redis prefix (fresh buckets) unless given one. */
  async function gateway(
    overrides: Record<string, string>,
    redisPrefix?: string,
  ): Promise<Gateway> {
    let prefix = redisPrefix;
    if (!prefix) {
      const ns = createRedisNamespace();
      namespaces.push(ns);
      prefix = ns.prefix;
    }
    const gw = await spawnGateway({ ...env.env, ...overrides, REDIS_KEY_PREFIX: prefix });
    extraGateways.push(gw);
    return gw;
  }

  const newKey = async (body: Record<string, unknown> = {}) =>
    (await createKey(adminGw.url, env.adminKey, body)).key;

  const me = (gw: Gateway, key: string | undefined, headers: Headers = {}) => {
    let req = request(gw.url).get('/api/v1/me');
    if (key) req = req.set('x-api-key', key);
    for (const [name, value] of Object.entries(headers))
      if (value !== undefined) req = req.set(name, value);
    return req;
  };

  const expectRateLimited = (res: request.Response, maxRetryAfter: number) => {
    expect(res.status).toBe(429);
    const { error } = res.body as { error: { type: string; message: unknown; request_id: string } };
    expect(error).toMatchObject({ type: 'rate_limited', request_id: res.headers['x-request-id'] });
    expect(typeof error.message).toBe('string');
    const retryAfter = num(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
  };

  beforeAll(async () => {
    env = await createTestEnv();
    adminGw = await spawnGateway(env.env);
  });

  afterAll(async () => {
    await Promise.all(extraGateways.map((gw) => gw.stop()));
    await adminGw?.stop();
    for (const ns of namespaces) await ns.cleanup();
    await env?.cleanup();
  });

  it('reports the tightest limit in X-RateLimit-* headers on authenticated requests', async () => {
    const key = await newKey();
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await me(adminGw, key).expect(200);
      // Default per-key limit (600) is tighter than the default per-IP limit (1200).
      expect(res.headers['x-ratelimit-limit']).toBe('600');
      const reset = num(res.headers['x-ratelimit-reset']);
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
      seen.push(num(res.headers['x-ratelimit-remaining']));
    }
    expect(seen).toEqual([599, 598, 597]);
  });

  it("enforces a key's own requests_per_minute, leaving other keys alone", async () => {
    const limited = await newKey({ requests_per_minute: 3 });
    const other = await newKey();
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await me(adminGw, limited).expect(200);
      expect(res.headers['x-ratelimit-limit']).toBe('3');
      remaining.push(res.headers['x-ratelimit-remaining'] ?? '');
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const blocked = await me(adminGw, limited);
    expectRateLimited(blocked, 60);
    expect(blocked.headers['x-ratelimit-limit']).toBe('3');
    expect(blocked.headers['x-ratelimit-remaining']).toBe('0');
    await me(adminGw, limited).expect(429);

    const fine = await me(adminGw, other).expect(200);
    expect(fine.headers['x-ratelimit-limit']).toBe('600');
  });

  it('limits requests per client IP, whichever keys they use', async () => {
    const keys = await Promise.all(Array.from({ length: 6 }, () => newKey()));
    const gw = await gateway({ RATE_LIMIT_IP_PER_MIN: '5' });
    for (let i = 0; i < 5; i++) {
      const res = await me(gw, keys[i]).expect(200);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - i));
    }
    const blocked = await me(gw, keys[5]);
    expectRateLimited(blocked, 60);
    expect(blocked.headers['x-ratelimit-limit']).toBe('5');
    expect(blocked.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('counts unauthenticated requests against the IP limit too', async () => {
    const gw = await gateway({ RATE_LIMIT_IP_PER_MIN: '3' });
    for (let i = 0; i < 3; i++) {
      const res = await me(gw, undefined).expect(401);
      expect(res.headers['x-ratelimit-remaining']).toBe(String(2 - i));
    }
    expectRateLimited(await me(gw, undefined), 60);
    // The key arrives too late: the address has used its minute.
    expectRateLimited(await me(gw, await newKey()), 60);
  });

  it('ignores X-Forwarded-For and CF-Connecting-IP from an untrusted peer', async () => {
    const key = await newKey();
    const gw = await gateway({ RATE_LIMIT_IP_PER_MIN: '3' });
    const spoofed = () => ({ 'X-Forwarded-For': randomIp(), 'CF-Connecting-IP': randomIp() });
    for (let i = 0; i < 3; i++) await me(gw, key, spoofed()).expect(200);
    expectRateLimited(await me(gw, key, spoofed()), 60);
    expectRateLimited(await me(gw, key, { 'X-Forwarded-For': randomIp() }), 60);
    expectRateLimited(await me(gw, key, { 'CF-Connecting-IP': randomIp() }), 60);
  });

  describe('behind a trusted proxy', () => {
    let gw: Gateway;
    let key: string;

    beforeAll(async () => {
      key = await newKey();
      gw = await gateway({ RATE_LIMIT_IP_PER_MIN: '2', TRUSTED_PROXIES: '127.0.0.1' });
    });

    it('gives each forwarded client address its own bucket', async () => {
      const [a, b, c] = uniqueIps(3);
      for (const ip of [a, b, c]) {
        for (let i = 0; i < 2; i++) await me(gw, key, { 'X-Forwarded-For': ip }).expect(200);
      }
      expectRateLimited(await me(gw, key, { 'X-Forwarded-For': a }), 60);
      // The proxy appends the address it saw: what the client wrote before it is not believed.
      expectRateLimited(await me(gw, key, { 'X-Forwarded-For': `${randomIp()}, ${b}` }), 60);
    });

    it('honours CF-Connecting-IP over X-Forwarded-For', async () => {
      const [cf] = uniqueIps(1);
      for (let i = 0; i < 2; i++) {
        await me(gw, key, { 'CF-Connecting-IP': cf, 'X-Forwarded-For': randomIp() }).expect(200);
      }
      expectRateLimited(
        await me(gw, key, { 'CF-Connecting-IP': cf, 'X-Forwarded-For': randomIp() }),
        60,
      );
    });

    it('treats one IPv6 /64 as one client, so rotating addresses inside it does not evade the limit', async () => {
      const net = `2001:db8:${randomInt(1, 0xffff).toString(16)}:${randomInt(1, 0xffff).toString(16)}`;
      await me(gw, key, { 'X-Forwarded-For': `${net}::1` }).expect(200);
      await me(gw, key, { 'X-Forwarded-For': `${net}:0:0:0:2` }).expect(200);
      expectRateLimited(await me(gw, key, { 'X-Forwarded-For': `${net}:abcd::3` }), 60);
    });
  });

  describe('failed-authentication lockout', () => {
    let gw: Gateway;
    let valid: string;

    beforeAll(async () => {
      valid = await newKey();
      gw = await gateway({
        TRUSTED_PROXIES: '127.0.0.1',
        AUTH_FAILURE_LIMIT: '3',
        AUTH_FAILURE_WINDOW_SECONDS: '300',
        AUTH_LOCKOUT_SECONDS: '120',
      });
    });

    it('locks an address out after too many failures, even for a valid key; other addresses are unaffected', async () => {
      const [attacker, bystander] = uniqueIps(2);
      const from = { 'X-Forwarded-For': attacker };

      // No credential at all is not a guess: it never counts towards the lockout.
      for (let i = 0; i < 5; i++) await me(gw, undefined, from).expect(401);

      await me(gw, bogusKey(), from).expect(401);
      await request(gw.url)
        .get('/api/v1/me')
        .set(from)
        .set('Authorization', `Bearer ${bogusKey()}`)
        .expect(401);
      await me(gw, bogusKey(), from).expect(401);

      const locked = await me(gw, bogusKey(), from);
      expectRateLimited(locked, 120);
      expect(num(locked.headers['retry-after'])).toBeGreaterThanOrEqual(110);
      expect(locked.headers['x-ratelimit-limit']).toBe('3');
      expect(locked.headers['x-ratelimit-remaining']).toBe('0');
      expect(locked.headers['x-ratelimit-reset']).toBe(locked.headers['retry-after']);

      const validButLocked = await me(gw, valid, from);
      expectRateLimited(validButLocked, 120);
      expect(num(validButLocked.headers['retry-after'])).toBeGreaterThanOrEqual(100);

      await me(gw, valid, { 'X-Forwarded-For': bystander }).expect(200);
      await me(gw, bogusKey(), { 'X-Forwarded-For': bystander }).expect(401);
    });

    it('locks out a whole IPv6 /64, not just the single address that guessed', async () => {
      const net = `2001:db8:${randomInt(1, 0xffff).toString(16)}:${randomInt(1, 0xffff).toString(16)}`;
      for (let i = 1; i <= 3; i++)
        await me(gw, bogusKey(), { 'X-Forwarded-For': `${net}::${i}` }).expect(401);
      expectRateLimited(await me(gw, bogusKey(), { 'X-Forwarded-For': `${net}::99` }), 120);
      expectRateLimited(await me(gw, valid, { 'X-Forwarded-For': `${net}::100` }), 120);
    });
  });

  it('shares counters across gateway replicas', async () => {
    const key = await newKey({ requests_per_minute: 4 });
    const ns = createRedisNamespace();
    namespaces.push(ns);
    const [a, b] = await Promise.all([gateway({}, ns.prefix), gateway({}, ns.prefix)]);
    const remaining: string[] = [];
    for (const gw of [a, b, a, b]) {
      const res = await me(gw, key).expect(200);
      remaining.push(res.headers['x-ratelimit-remaining'] ?? '');
    }
    expect(remaining).toEqual(['3', '2', '1', '0']);
    expectRateLimited(await me(a, key), 60);
    expectRateLimited(await me(b, key), 60);
  });

  it('never throttles /health or /ready', async () => {
    const key = await newKey();
    const gw = await gateway({ RATE_LIMIT_IP_PER_MIN: '2' });
    for (let i = 0; i < 8; i++) {
      const res = await request(gw.url).get('/health').expect(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
    }
    for (let i = 0; i < 4; i++) {
      const res = await request(gw.url).get('/ready');
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
    // The probes used none of the (tiny) per-IP budget.
    await me(gw, key).expect(200);
    await me(gw, key).expect(200);
    expectRateLimited(await me(gw, key), 60);
  });
});
