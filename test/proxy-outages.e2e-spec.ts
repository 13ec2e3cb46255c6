import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import {
  type MockUpstream,
  startMockUpstream,
  LOOPBACK_UPSTREAM,
} from './support/mock-upstream.js';
import { type OwnRedisServer, startOwnRedisServer } from './support/redis-server.js';
import { type SpawnedApp, spawnGateway, spawnWorker, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv, credentialKeyEnv } from './support/test-env.js';
import type { ErrorBody } from '../apps/gateway/src/http/error-body.js';

/** Redis going away and a worker dying mid-request, on a Redis server of this suite's own. */
describe('proxy path through Redis outages and worker crashes', () => {
  let upstream: MockUpstream;
  let redis: OwnRedisServer;
  let env: TestEnv;
  let gw: SpawnedApp & { url: string };
  let workers: SpawnedApp[] = [];
  let clientKey: string;
  const credential = `sk-${randomBytes(24).toString('hex')}`;
  const bodies: string[] = [];

  const post = async (model: string, timeoutMs = 20_000) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, text };
  };

  beforeAll(async () => {
    upstream = await startMockUpstream();
    redis = await startOwnRedisServer();
    env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      REDIS_URL: redis.url,
      ...credentialKeyEnv(),
      PROXY_JOB_LOCK_MS: '2000',
      LOG_LEVEL: 'info',
    });
    const [gateway, worker] = await Promise.all([spawnGateway(env.env), spawnWorker(env.env)]);
    gw = gateway;
    workers = [worker];
    const account = await request(gw.url)
      .post('/api/v1/admin/accounts')
      .set('x-api-key', env.adminKey)
      .send({
        name: 'acct',
        provider: 'openai',
        base_url: upstream.openaiBase('acct'),
        credential,
        models: [],
      })
      .expect(201);
    bodies.push(account.text);
    clientKey = (await createKey(gw.url, env.adminKey)).key;
  }, 45_000);

  afterAll(async () => {
    await Promise.all([gw?.stop(), ...workers.map((w) => w.stop())]);
    await redis?.kill();
    await upstream?.close();
    await env?.cleanup();
  }, 30_000);

  it('answers 503 fast while Redis is down and recovers without a restart', async () => {
    expect((await post('m-outage')).status).toBe(200);

    await redis.kill();
    const started = Date.now();
    const down = await post('m-outage', 5_000);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(down.status).toBe(503);
    expect((JSON.parse(down.text) as ErrorBody).error.type).toBe('service_unavailable');

    await redis.start();
    const back = Date.now();
    let last: { status: number; text: string } | undefined;
    await waitFor(
      async () => {
        last = await post('m-outage', 5_000);
        return last.status === 200;
      },
      10_000,
      () =>
        `last answer: ${JSON.stringify(last)}\n${gw.output().slice(-3000)}\n${workers[0]?.output().slice(-3000)}`,
    );
    expect(Date.now() - back).toBeLessThan(10_000);
    expect(last?.text).toContain('Hello from acct');
    // Not a fluke: it keeps working.
    for (let i = 0; i < 3; i++) expect((await post('m-outage')).status).toBe(200);
  }, 30_000);

  it('completes a sync request whose worker was killed, on another worker', async () => {
    upstream.setBehaviour('acct', { kind: 'ok', delayMs: 3_000 });
    const before = upstream.requests.length;
    const started = Date.now();
    const pending = post('m-crash', 25_000);
    await waitFor(() => Promise.resolve(upstream.requests.length > before), 5_000);

    const victim = workers[0];
    victim.child.kill('SIGKILL');
    await victim.exited;
    workers.push(await spawnWorker(env.env));

    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.text).toContain('Hello from acct');
    expect(Date.now() - started).toBeLessThan(15_000);
    const calls = upstream.requests.slice(before);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.aborted).toBe(true);
    expect(calls[1]?.finished).toBe(true);
  }, 30_000);

  it('never shows the account credential or client key in output or responses', () => {
    const logs = gw.output() + workers.map((w) => w.output()).join('');
    expect(bodies.length).toBeGreaterThan(0);
    for (const secret of [credential, clientKey, env.adminKey]) {
      expect(logs).not.toContain(secret);
      for (const body of bodies) expect(body).not.toContain(secret);
    }
  });
});
