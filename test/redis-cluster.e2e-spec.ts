import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createAccount, createKey } from './support/admin-client.js';
import {
  LOOPBACK_UPSTREAM,
  type MockUpstream,
  startMockUpstream,
} from './support/mock-upstream.js';
import { type OwnRedisCluster, startOwnRedisCluster } from './support/redis-cluster.js';
import { redisCli } from './support/redis-processes.js';
import { type SpawnedApp, spawnGateway, spawnWorker, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv, credentialKeyEnv } from './support/test-env.js';

type JobView = { id: string; status: string; result?: { body?: unknown } };

/** The proxy path on a 3-master Redis Cluster of the suite's own (REDIS_CLUSTER_NODES). */
describe('on a Redis Cluster', () => {
  let cluster: OwnRedisCluster;
  let upstream: MockUpstream;
  let env: TestEnv;
  let gw: SpawnedApp & { url: string };
  let gw2: SpawnedApp & { url: string };
  let worker: SpawnedApp;
  let clientKey: string;
  const credential = `sk-${randomBytes(24).toString('hex')}`;

  const chat = (key: string, body: Record<string, unknown>) =>
    request(gw.url)
      .post('/v1/chat/completions')
      .set('authorization', `Bearer ${key}`)
      .send({ model: 'm-cluster', messages: [{ role: 'user', content: 'hi' }], ...body });

  const logs = () => `${gw.output().slice(-3000)}\n${worker.output().slice(-3000)}`;

  beforeAll(async () => {
    [cluster, upstream] = await Promise.all([startOwnRedisCluster(3), startMockUpstream()]);
    env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      REDIS_URL: 'redis://127.0.0.1:6379', // only its login/TLS are read: none here
      REDIS_CLUSTER_NODES: cluster.nodes,
      ...credentialKeyEnv(),
      // Only the broadcast can end a cached key within the test's second.
      AUTH_CACHE_TTL_MS: '60000',
      LOG_LEVEL: 'info',
    });
    [gw, gw2, worker] = await Promise.all([
      spawnGateway(env.env),
      spawnGateway(env.env),
      spawnWorker(env.env),
    ]);
    await createAccount(gw.url, env.adminKey, {
      name: 'acct',
      provider: 'openai',
      base_url: upstream.openaiBase('acct'),
      credential,
      models: [],
    });
    clientKey = (await createKey(gw.url, env.adminKey)).key;
  }, 50_000);

  afterAll(async () => {
    await Promise.all([gw?.stop(), gw2?.stop(), worker?.stop()]);
    await Promise.all([cluster?.stop(), upstream?.close()]);
    await env?.cleanup();
  }, 30_000);

  it('is ready, and spreads keys over more than one master', async () => {
    await request(gw.url).get('/ready').expect(200);
    // Queue keys share the `{prefix}` slot; request replies land on each request's own slot.
    for (let i = 0; i < 6; i++) await chat(clientKey, {}).expect(200);
    const counts = await Promise.all(
      cluster.masters.map(async (m) => Number(await redisCli(m.port, ['DBSIZE']))),
    );
    expect(counts.filter((n) => n > 0).length).toBeGreaterThan(1);
  }, 20_000);

  it('answers a JSON completion', async () => {
    const res = await chat(clientKey, {}).expect(200);
    expect(JSON.stringify(res.body)).toContain('Hello from acct');
  });

  it('relays a stream in order to its end', async () => {
    upstream.setBehaviour('acct', { kind: 'ok', chunks: 5 });
    const res = await chat(clientKey, { stream: true }).expect(200);
    upstream.setBehaviour('acct', { kind: 'ok' });
    expect(res.headers['content-type']).toContain('text/event-stream');
    expect(res.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(res.text.match(/^data: \{/gm)?.length ?? 0).toBeGreaterThanOrEqual(5);
  }, 20_000);

  it('runs an async job to completion', async () => {
    const submitted = await request(gw.url)
      .post('/api/v1/jobs')
      .set('x-api-key', clientKey)
      .send({
        endpoint: 'chat.completions',
        body: { model: 'm-job', messages: [{ role: 'user', content: 'later' }] },
      })
      .expect(202);
    const id = (submitted.body as JobView).id;
    let last: JobView | undefined;
    await waitFor(
      async () => {
        const res = await request(gw.url).get(`/api/v1/jobs/${id}`).set('x-api-key', clientKey);
        last = res.body as JobView;
        return last.status === 'completed';
      },
      15_000,
      () => `last: ${JSON.stringify(last)}\n${logs()}`,
    );
    expect(JSON.stringify(last?.result)).toContain('Hello from acct');
  }, 20_000);

  it('throttles a key with its limit and headers (admission script on one slot)', async () => {
    const limited = (await createKey(gw.url, env.adminKey, { requests_per_minute: 2 })).key;
    const first = await chat(limited, {}).expect(200);
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    await chat(limited, {}).expect(200);
    const refused = await chat(limited, {}).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  }, 20_000);

  it('ends a revoked key on every gateway within a second (broadcast)', async () => {
    const created = await createKey(gw.url, env.adminKey);
    // gw2 caches the key for a minute: only the broadcast can end it sooner.
    await request(gw2.url).get('/api/v1/me').set('x-api-key', created.key).expect(200);
    await request(gw.url)
      .post(`/api/v1/admin/keys/${created.id}/revoke`)
      .set('x-api-key', env.adminKey)
      .expect((res) => expect(res.status).toBeLessThan(300));
    const revokedAt = Date.now();
    await waitFor(
      async () =>
        (await request(gw2.url).get('/api/v1/me').set('x-api-key', created.key)).status === 401,
      1_500,
      () => gw2.output().slice(-3000),
    );
    expect(Date.now() - revokedAt).toBeLessThan(1_500);
  }, 20_000);

  it('logs no CROSSSLOT error and no secret', () => {
    const all = gw.output() + gw2.output() + worker.output();
    expect(all).not.toMatch(/CROSSSLOT|span hash slots/);
    for (const secret of [credential, clientKey, env.adminKey]) expect(all).not.toContain(secret);
  });
});
