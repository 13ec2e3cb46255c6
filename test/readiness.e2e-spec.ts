import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { startOwnRedisServer, type OwnRedisServer } from './support/redis-server.js';
import { type SpawnedApp, spawnGateway, waitFor } from './support/spawn-app.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import type { ErrorBody } from '../apps/gateway/src/http/error-body.js';

type ReadyBody = { status: string; checks: { postgres: string; redis: string } };

/** Polls /ready until it has the expected status; returns the last body. */
async function readyBecomes(url: string, status: 200 | 503, timeoutMs: number, out: () => string) {
  let body: ReadyBody | undefined;
  await waitFor(
    async () => {
      const res = await request(url).get('/ready').timeout(3_000);
      body = res.body as ReadyBody;
      return res.status === status;
    },
    timeoutMs,
    () => `last /ready body: ${JSON.stringify(body)}\n${out()}`,
  );
  return body as ReadyBody;
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await run();
  return { result, ms: Date.now() - started };
}

describe('liveness, readiness and dependency outages', () => {
  let env: TestEnv;
  let redis: OwnRedisServer;
  let pgProxy: TcpProxy;
  let gw: SpawnedApp & { url: string };
  let admin: string;

  const alive = () => gw.child.exitCode === null && gw.child.signalCode === null;

  beforeAll(async () => {
    redis = await startOwnRedisServer();
    env = await createTestEnv({ REDIS_URL: redis.url });
    admin = env.adminKey;
    // Only the gateway goes through the proxy; the database itself lives on the real server.
    const dbUrl = new URL(env.database.url);
    pgProxy = await startTcpProxy(dbUrl.hostname, dbUrl.port ? Number(dbUrl.port) : 5432);
    dbUrl.hostname = '127.0.0.1';
    dbUrl.port = String(pgProxy.port);
    gw = await spawnGateway({ ...env.env, DATABASE_URL: dbUrl.toString() });
  }, 45_000);

  afterAll(async () => {
    await gw?.stop();
    await pgProxy?.close();
    await redis?.kill();
    await env?.cleanup();
  }, 20_000);

  afterEach(() => {
    // Whatever an outage did, the gateway must have ridden it out.
    expect(alive()).toBe(true);
  });

  it('answers /health and /ready without detail, credentials or rate limiting', async () => {
    const health = await request(gw.url).get('/health').expect(200);
    expect(health.body).toEqual({ status: 'ok' });
    expect(health.headers['x-ratelimit-limit']).toBeUndefined();

    const ready = await request(gw.url).get('/ready').expect(200);
    expect(ready.body).toMatchObject({ checks: { postgres: 'up', redis: 'up' } });
    // Keyless, so it must be cheap: probes within a second share one check of Postgres and Redis.
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => request(gw.url).get('/ready').expect(200)),
    );
    const checkedAt = new Set(burst.map((r) => (r.body as { checked_at?: string }).checked_at));
    expect(checkedAt.size).toBeLessThanOrEqual(2); // the burst may straddle one renewal
    expect([...checkedAt].every((t) => typeof t === 'string')).toBe(true);
    expect(ready.headers['x-ratelimit-limit']).toBeUndefined();

    // A protected route is throttled, so the absence above means something.
    const { key } = await createKey(gw.url, admin);
    const me = await request(gw.url).get('/api/v1/me').set('x-api-key', key).expect(200);
    expect(me.headers['x-ratelimit-limit']).toBeDefined();
  }, 15_000);

  it('reports Redis down, answers 503 fast while it is, and recovers when it is back', async () => {
    const { key } = await createKey(gw.url, admin);
    await request(gw.url).get('/api/v1/me').set('x-api-key', key).expect(200);
    await readyBecomes(gw.url, 200, 5_000, gw.output);

    await redis.kill();

    const down = await readyBecomes(gw.url, 503, 5_000, gw.output);
    expect(down.checks).toEqual({ postgres: 'up', redis: 'down' });

    const { result: me, ms } = await timed(() =>
      request(gw.url).get('/api/v1/me').set('x-api-key', key).timeout(5_000),
    );
    expect(me.status).toBe(503);
    expect((me.body as ErrorBody).error.type).toBe('service_unavailable');
    expect(ms).toBeLessThan(3_000);

    const health = await request(gw.url).get('/health').timeout(2_000);
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });

    await redis.start();

    const up = await readyBecomes(gw.url, 200, 10_000, gw.output);
    expect(up.checks).toEqual({ postgres: 'up', redis: 'up' });
    await waitFor(
      async () => (await request(gw.url).get('/api/v1/me').set('x-api-key', key)).status === 200,
      5_000,
      gw.output,
    );
    expect(alive()).toBe(true);
  }, 30_000);

  it('reports Postgres down, answers 503 while it is, and recovers when it is back', async () => {
    await readyBecomes(gw.url, 200, 5_000, gw.output);

    pgProxy.cut();

    const down = await readyBecomes(gw.url, 503, 5_000, gw.output);
    expect(down.checks).toEqual({ postgres: 'down', redis: 'up' });

    const { result: created, ms } = await timed(() =>
      request(gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .send({ name: 'during-outage' })
        .timeout(15_000),
    );
    expect(created.status).toBe(503);
    expect((created.body as ErrorBody).error.type).toBe('service_unavailable');
    // No driver detail (addresses, SQL) leaks to the caller.
    expect((created.body as ErrorBody).error.message).not.toMatch(
      /ECONNREFUSED|127\.0\.0\.1|terminated|SELECT|INSERT/i,
    );
    expect(ms).toBeLessThan(8_000);

    const list = await request(gw.url)
      .get('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .timeout(15_000);
    expect(list.status).toBe(503);

    const health = await request(gw.url).get('/health').timeout(2_000);
    expect(health.status).toBe(200);

    pgProxy.restore();

    const up = await readyBecomes(gw.url, 200, 10_000, gw.output);
    expect(up.checks).toEqual({ postgres: 'up', redis: 'up' });
    const again = await createKey(gw.url, admin, { name: 'after-outage' });
    await request(gw.url).get('/api/v1/me').set('x-api-key', again.key).expect(200);
    expect(alive()).toBe(true);
  }, 45_000);
});
