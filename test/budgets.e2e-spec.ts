import { countOutputTokens, estimatePromptTokens } from '@gatehouse/budgets';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createAccount, createKey } from './support/admin-client.js';
import { awayFromPeriodEnd, budgetCounter } from './support/budget-periods.js';
import { auditQueue, queuedAuditEvents } from './support/audit-kit.js';
import {
  LOOPBACK_UPSTREAM,
  type MockUpstream,
  startMockUpstream,
} from './support/mock-upstream.js';
import { type SpawnedApp, spawnGateway, spawnWorker, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv, credentialKeyEnv } from './support/test-env.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

/**
 * Budgets that hold: a request reserves its estimate (prompt tokens + output cap) before it is
 * queued, in the admission script, and the worker settles the reservation to the provider's
 * usage. Concurrent requests cannot overshoot; failures give the reservation back; a stream cut
 * short is charged what streamed; a reservation whose worker died is given back when it lapses.
 */
describe('budgets: reserve, settle, reconcile', () => {
  let env: TestEnv;
  let upstream: MockUpstream;
  let gw: SpawnedApp & { url: string };
  let worker: SpawnedApp;
  let redis: Redis;

  // The mock reports 5 prompt and 7 completion tokens for a JSON answer (USED); with max_tokens 7
  // a request reserves its estimated prompt and those 7 (RESERVED, a little more than USED).
  const chat = (max_tokens?: number, extra: Record<string, unknown> = {}) => ({
    model: 'gpt-test',
    messages: [{ role: 'user', content: 'hi' }],
    ...(max_tokens ? { max_tokens } : {}),
    ...extra,
  });
  const RESERVED = estimatePromptTokens('openai', chat()) + 7;
  const USED = 12;

  const leasesOf = async (keyId: string) =>
    (await redis.zrange(`${env.redisPrefix}:{limits}:budget:leases`, 0, -1)).filter((m) =>
      m.includes(keyId),
    );

  beforeAll(async () => {
    upstream = await startMockUpstream();
    env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      ...credentialKeyEnv(),
      BUDGET_RECONCILE_INTERVAL_MS: '300',
      UPSTREAM_TOTAL_TIMEOUT_MS: '1500',
      RATE_LIMIT_PER_IP_PER_MIN: '100000',
    });
    gw = await spawnGateway(env.env);
    worker = await spawnWorker(env.env);
    redis = new Redis(TEST_REDIS_URL);
    for (const [name, model] of [
      ['oa', 'gpt-test'],
      ['slow', 'gpt-slow'],
      ['hang', 'gpt-hang'],
    ] as const) {
      await createAccount(gw.url, env.adminKey, {
        name,
        provider: 'openai',
        base_url: upstream.openaiBase(name),
        credential: `sk-${randomBytes(24).toString('hex')}`,
        models: [model],
      });
    }
    upstream.setBehaviour('slow', { kind: 'ok', delayMs: 400 });
    upstream.setBehaviour('hang', { kind: 'hang' });
  });

  // Each test reads the day's counters within seconds of spending (the minute's: see below).
  beforeEach(() => awayFromPeriodEnd('tokens_per_day', 15_000));

  afterAll(async () => {
    redis?.disconnect();
    await gw?.stop();
    await worker?.stop();
    await upstream?.close();
    await env?.cleanup();
  });

  const post = (key: string, body: Record<string, unknown>) =>
    request(gw.url).post('/v1/chat/completions').set('x-api-key', key).send(body);

  it('holds a token budget under 32 concurrent requests', async () => {
    // The budget fits 3 requests; all 32 arrive while the first ones are still upstream.
    const { key, id } = await createKey(gw.url, env.adminKey, { tokens_per_day: 3 * RESERVED });
    const results = await Promise.all(
      Array.from({ length: 32 }, () => post(key, chat(7, { model: 'gpt-slow' }))),
    );
    const served = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(served.length).toBeLessThanOrEqual(4);
    expect(served.length + refused.length).toBe(32);
    for (const r of refused) {
      expect(r.body.error.type).toBe('budget_exceeded');
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      expect(r.headers['x-budget-tokens-day-limit']).toBe(String(3 * RESERVED));
    }
    // Settled to the provider's usage: never more than one reservation over the budget.
    await waitFor(async () => (await leasesOf(id)).length === 0, 5_000);
    const settled = Number(await redis.get(budgetCounter(env.redisPrefix, id, 'tokens_per_day')));
    expect(settled).toBe(served.length * USED);
    expect(settled).toBeLessThanOrEqual(3 * RESERVED + RESERVED);
  });

  it('reports each budget in X-Budget-* headers and in /api/v1/me', async () => {
    await awayFromPeriodEnd('tokens_per_minute', 15_000); // the request and /me in one minute
    const { key, id } = await createKey(gw.url, env.adminKey, {
      tokens_per_minute: 1_000,
      tokens_per_day: 10_000,
      requests_per_day: 5,
    });
    const res = await post(key, chat(7)).expect(200);
    // The headers say where the budgets stood with this request's reservation.
    expect(res.headers['x-budget-tokens-minute-limit']).toBe('1000');
    expect(res.headers['x-budget-tokens-minute-remaining']).toBe(String(1_000 - RESERVED));
    expect(Number(res.headers['x-budget-tokens-minute-reset'])).toBeLessThanOrEqual(60);
    expect(res.headers['x-budget-tokens-day-remaining']).toBe(String(10_000 - RESERVED));
    expect(res.headers['x-budget-requests-day-remaining']).toBe('4');
    expect(Number(res.headers['x-budget-requests-day-reset'])).toBeLessThanOrEqual(86_400);
    expect(res.headers['x-budget-cost-day-limit']).toBeUndefined();
    // Once settled, /api/v1/me shows what the provider counted.
    await waitFor(async () => (await leasesOf(id)).length === 0, 5_000);
    const me = await request(gw.url).get('/api/v1/me').set('x-api-key', key).expect(200);
    expect(me.body.tokens_per_minute).toBe(1_000);
    expect(me.body.cost_per_day).toBeNull();
    expect(me.body.budgets).toEqual({
      tokens_per_minute: expect.objectContaining({ limit: 1_000, used: USED, remaining: 988 }),
      tokens_per_day: expect.objectContaining({ limit: 10_000, used: USED, remaining: 9_988 }),
      requests_per_day: expect.objectContaining({ limit: 5, used: 1, remaining: 4 }),
    });
  });

  it('counts requests per day, and refuses one that could never fit', async () => {
    const { key } = await createKey(gw.url, env.adminKey, {
      requests_per_day: 2,
      tokens_per_day: 100,
    });
    await post(key, chat(7)).expect(200);
    // Its max_tokens alone is over the whole budget: refused however much is left.
    const tooBig = await post(key, chat(500)).expect(429);
    expect(tooBig.body.error.type).toBe('budget_exceeded');
    expect(tooBig.body.error.message).toContain('tokens_per_day');
    await post(key, chat(7)).expect(200);
    const third = await post(key, chat(7)).expect(429);
    expect(third.body.error.message).toContain('requests_per_day');
    expect(third.headers['x-budget-requests-day-remaining']).toBe('0');
  });

  it('sends the default output cap upstream only for a key whose output must be bounded', async () => {
    const budgeted = await createKey(gw.url, env.adminKey, { tokens_per_day: 100_000 });
    await post(budgeted.key, chat()).expect(200);
    expect(upstream.requests.at(-1)?.body.max_tokens).toBe(4_096);
    await post(budgeted.key, chat(9)).expect(200);
    expect(upstream.requests.at(-1)?.body.max_tokens).toBe(9);
    const free = await createKey(gw.url, env.adminKey, {});
    await post(free.key, chat()).expect(200);
    expect(upstream.requests.at(-1)?.body).not.toHaveProperty('max_tokens');
  });

  it('gives the reservation back when the call fails or the body is refused', async () => {
    const { key, id } = await createKey(gw.url, env.adminKey, { tokens_per_day: 1_000 });
    upstream.setBehaviour('oa', { kind: 'status', status: 400 });
    try {
      await post(key, chat(7)).expect(400);
    } finally {
      upstream.setBehaviour('oa', { kind: 'ok' });
    }
    // Invalid after admission (messages must be an array): refused by validation.
    await post(key, { model: 'gpt-test', messages: 'hi', max_tokens: 7 }).expect(400);
    await waitFor(async () => (await leasesOf(id)).length === 0, 5_000);
    expect(
      Number((await redis.get(budgetCounter(env.redisPrefix, id, 'tokens_per_day'))) ?? 0),
    ).toBe(0);
  });

  it('charges a stream cut short with the tokens that streamed', async () => {
    const { key, id } = await createKey(gw.url, env.adminKey, { tokens_per_day: 100_000 });
    upstream.setBehaviour('oa', { kind: 'ok', chunks: 40, chunkIntervalMs: 50 });
    const controller = new AbortController();
    let seen = '';
    try {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ ...chat(), stream: true }),
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      const reader = res.body?.getReader();
      const decoder = new TextDecoder();
      while (!seen.includes('tok5 ')) {
        const { value, done } = (await reader?.read()) ?? { done: true };
        if (done) break;
        seen += decoder.decode(value, { stream: true });
      }
      controller.abort();
    } finally {
      upstream.setBehaviour('oa', { kind: 'ok' });
    }
    await waitFor(async () => (await leasesOf(id)).length === 0, 5_000);
    const charged = Number(await redis.get(budgetCounter(env.redisPrefix, id, 'tokens_per_day')));
    // The prompt and at least the six chunks the client read; less than the whole answer.
    const prompt = estimatePromptTokens('openai', chat());
    const read = countOutputTokens('openai', 'tok0 tok1 tok2 tok3 tok4 tok5 ');
    expect(charged).toBeGreaterThanOrEqual(prompt + read);
    const whole = Array.from({ length: 40 }, (_, i) => `tok${i} `).join('');
    expect(charged).toBeLessThan(prompt + countOutputTokens('openai', whole));
  });

  it('reserves and settles an async job like a sync request', async () => {
    const { key, id } = await createKey(gw.url, env.adminKey, {
      tokens_per_day: 2 * RESERVED,
      requests_per_day: 5,
    });
    const submit = () =>
      request(gw.url)
        .post('/api/v1/jobs')
        .set('x-api-key', key)
        .send({ endpoint: 'chat.completions', body: chat(7) });
    const accepted = await submit().expect(202);
    expect(accepted.headers['x-budget-tokens-day-remaining']).toBe(String(RESERVED));
    await waitFor(async () => {
      const job = await request(gw.url)
        .get(`/api/v1/jobs/${accepted.body.id}`)
        .set('x-api-key', key);
      return job.body.status === 'completed';
    }, 10_000);
    await waitFor(async () => (await leasesOf(id)).length === 0, 5_000);
    expect(Number(await redis.get(budgetCounter(env.redisPrefix, id, 'tokens_per_day')))).toBe(
      USED,
    );
    // 12 used + 14 reserved fits in 28; a third would not.
    await submit().expect(202);
    const refused = await submit().expect(429);
    expect(refused.body.error.type).toBe('budget_exceeded');
  });

  it('prices a cost budget from the price table, and a price change applies to the next request', async () => {
    const putPrices = (prices: unknown[]) =>
      request(gw.url)
        .put('/api/v1/admin/prices')
        .set('x-api-key', env.adminKey)
        .send({ prices })
        .expect(200);
    const { key, id } = await createKey(gw.url, env.adminKey, { cost_per_day: 1 }); // 1 cent
    try {
      // No price for the model: a cost budget cannot hold, so the request is refused.
      const unpriced = await post(key, chat(7)).expect(403);
      expect(unpriced.body.error.type).toBe('price_unknown');
      // $1,000 per million tokens: 14 tokens reserve 14,000 µUSD, over 1 cent (10,000).
      await putPrices([{ model: 'gpt-test', input_per_mtok: 1_000, output_per_mtok: 1_000 }]);
      const dear = await post(key, chat(7)).expect(429);
      expect(dear.body.error.type).toBe('budget_exceeded');
      expect(dear.body.error.message).toContain('cost_per_day');
      expect(dear.headers['x-budget-cost-day-limit']).toBe('1');
      // Ten times cheaper: it fits, and settles to the 12 tokens used (1,200 µUSD).
      await putPrices([{ model: 'gpt-test', input_per_mtok: 100, output_per_mtok: 100 }]);
      const cheap = await post(key, chat(7)).expect(200);
      expect(cheap.headers['x-budget-cost-day-remaining']).toBe('0'); // 0.14 cents, rounded up
      await waitFor(async () => (await leasesOf(id)).length === 0, 5_000);
      expect(await redis.get(budgetCounter(env.redisPrefix, id, 'cost_per_day'))).toBe('1200');
      // The request's audit record carries its cost, for the usage views.
      const audit = auditQueue(env.redisPrefix);
      try {
        await waitFor(async () => {
          const events = await queuedAuditEvents(audit);
          return events.some(
            (event) =>
              event.type === 'request.completed' &&
              event.key_id === id &&
              event.data.cost_micros === 1_200,
          );
        }, 5_000);
      } finally {
        await audit.close();
      }
    } finally {
      await putPrices([]);
    }
  });

  it('gives back the reservation of a worker killed mid-job once it lapses', async () => {
    const { key, id } = await createKey(gw.url, env.adminKey, { tokens_per_day: 100_000 });
    const before = upstream.requests.length;
    const pending = post(key, chat(7, { model: 'gpt-hang' }));
    const answered = pending.then((r) => r.status);
    await waitFor(() => Promise.resolve(upstream.requests.length > before), 5_000);
    expect(await leasesOf(id)).toHaveLength(1);
    expect(Number(await redis.get(budgetCounter(env.redisPrefix, id, 'tokens_per_day')))).toBe(
      RESERVED,
    );
    worker.child.kill('SIGKILL');
    await worker.exited;
    expect(await answered).toBe(504);
    // The lease ends a little after the client's deadline; the reconciler then gives it back.
    await waitFor(async () => (await leasesOf(id)).length === 0, 20_000);
    expect(Number(await redis.get(budgetCounter(env.redisPrefix, id, 'tokens_per_day')))).toBe(0);
    worker = await spawnWorker(env.env);
  }, 40_000);
});
