import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createAccount, createKey } from './support/admin-client.js';
import {
  LOOPBACK_UPSTREAM,
  type MockUpstream,
  startMockUpstream,
} from './support/mock-upstream.js';
import {
  type OwnRedisSentinel,
  SENTINEL_PRIMARY_NAME,
  startOwnRedisSentinel,
} from './support/redis-sentinel.js';
import { type SpawnedApp, spawnGateway, spawnWorker, waitFor } from './support/spawn-app.js';
import { createTestEnv, randomSecret, type TestEnv, credentialKeyEnv } from './support/test-env.js';

type JobView = { id: string; status: string };

/** Primary + replica + one sentinel, with passwords; a failover in the middle of the traffic. */
describe('through Redis Sentinel', () => {
  const password = randomSecret();
  const sentinelPassword = randomSecret();
  const credential = `sk-${randomBytes(24).toString('hex')}`;
  let redis: OwnRedisSentinel;
  let upstream: MockUpstream;
  let env: TestEnv;
  let gw: SpawnedApp & { url: string };
  let worker: SpawnedApp;
  let clientKey: string;

  const chat = () =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm-sentinel', messages: [{ role: 'user', content: 'hi' }] }),
      signal: AbortSignal.timeout(10_000),
    });

  const submitJob = async (): Promise<string | undefined> => {
    const res = await fetch(`${gw.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'x-api-key': clientKey, 'content-type': 'application/json' },
      body: JSON.stringify({
        endpoint: 'chat.completions',
        body: { model: 'm-job', messages: [{ role: 'user', content: 'later' }] },
      }),
      signal: AbortSignal.timeout(10_000),
    });
    return res.status === 202 ? ((await res.json()) as JobView).id : undefined;
  };

  const logs = () => `${gw.output().slice(-4000)}\n${worker.output().slice(-4000)}`;

  beforeAll(async () => {
    [redis, upstream] = await Promise.all([
      startOwnRedisSentinel(password, sentinelPassword),
      startMockUpstream(),
    ]);
    env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      // The host is not used with Sentinel: the login is.
      REDIS_URL: `redis://:${password}@127.0.0.1:6379`,
      REDIS_SENTINELS: redis.sentinels,
      REDIS_SENTINEL_NAME: SENTINEL_PRIMARY_NAME,
      REDIS_SENTINEL_PASSWORD: sentinelPassword,
      ...credentialKeyEnv(),
      PROXY_JOB_LOCK_MS: '2000',
      // The traffic below submits jobs all along: the job limits are not what is tested here.
      RATE_LIMIT_JOBS_PER_MIN: '100000',
      RATE_LIMIT_JOBS_PER_IP_PER_MIN: '100000',
      LOG_LEVEL: 'info',
    });
    [gw, worker] = await Promise.all([spawnGateway(env.env), spawnWorker(env.env)]);
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
    await Promise.all([gw?.stop(), worker?.stop()]);
    await Promise.all([redis?.stop(), upstream?.close()]);
    await env?.cleanup();
  }, 30_000);

  it('serves through the primary the sentinel names', async () => {
    await request(gw.url).get('/ready').expect(200);
    const res = await chat();
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Hello from acct');
  }, 15_000);

  it('survives a failover mid-run: requests succeed again soon, no accepted job is lost', async () => {
    const before = await redis.primaryPort();
    const jobs: string[] = [];
    const statuses: number[] = [];
    let stop = false;
    // Traffic all along: sync requests and async job submissions, each in a loop of its own
    // (a sync request waits for the worker; submissions go on meanwhile).
    const loop = async (send: () => Promise<void>) => {
      while (!stop) {
        await send();
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const traffic = Promise.all([
      loop(async () => {
        statuses.push((await chat().catch(() => ({ status: 0 }))).status);
      }),
      loop(async () => {
        const id = await submitJob().catch(() => undefined);
        if (id) jobs.push(id);
      }),
    ]);
    let acceptedAfter = 0;
    try {
      await waitFor(() => Promise.resolve(jobs.length >= 3), 10_000, logs);

      // The worker is busy (paused) through the switch: what the gateway accepts then waits in
      // Redis instead of being taken at once, so a write the new primary never got shows.
      worker.child.kill('SIGSTOP');
      try {
        await redis.failover();
      } finally {
        worker.child.kill('SIGCONT');
      }
      const movedAt = Date.now();
      expect(await redis.primaryPort()).not.toBe(before);

      // Within a bounded time requests succeed again, and keep doing so.
      await waitFor(
        async () => (await chat()).status === 200 && (await chat()).status === 200,
        10_000,
        logs,
      );
      expect(Date.now() - movedAt).toBeLessThan(10_000);
      acceptedAfter = jobs.length;
      await waitFor(() => Promise.resolve(jobs.length >= acceptedAfter + 2), 10_000, logs);
    } finally {
      stop = true;
      await traffic;
    }
    // What failed during the switch failed cleanly (503), never as a crash or a hang.
    const unclean = statuses.filter((s) => s !== 200 && s !== 503);
    if (unclean.length > 0) throw new Error(`answered ${unclean.join(', ')}\n${logs()}`);

    // Every job the gateway accepted (202) completes.
    for (const id of jobs) {
      let last: JobView | undefined;
      await waitFor(
        async () => {
          const res = await request(gw.url).get(`/api/v1/jobs/${id}`).set('x-api-key', clientKey);
          last = res.body as JobView;
          return last.status === 'completed';
        },
        15_000,
        () => `job ${id}: ${JSON.stringify(last)}\n${logs()}`,
      );
    }
    expect(jobs.length).toBeGreaterThan(acceptedAfter);
  }, 55_000);

  it('never logs the Redis or sentinel password, the credential or the keys', () => {
    const all = gw.output() + worker.output();
    for (const secret of [password, sentinelPassword, credential, clientKey, env.adminKey]) {
      expect(all).not.toContain(secret);
    }
  });
});
