import Anthropic from '@anthropic-ai/sdk';
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import request from 'supertest';
import { createAccount, createKey } from './support/admin-client.js';
import { awayFromPeriodEnd, budgetCounter } from './support/budget-periods.js';
import { Redis } from 'ioredis';
import {
  type MockUpstream,
  openaiStream,
  startMockUpstream,
  LOOPBACK_UPSTREAM,
} from './support/mock-upstream.js';
import { type SpawnedApp, spawnGateway, spawnWorker, waitFor } from './support/spawn-app.js';
import { TEST_REDIS_URL } from './support/test-redis.js';
import { createTestEnv, type TestEnv, credentialKeyEnv } from './support/test-env.js';

describe('proxy path with the official SDKs', () => {
  let env: TestEnv;
  let upstream: MockUpstream;
  let gw: SpawnedApp & { url: string };
  let worker: SpawnedApp;
  let clientKey: string;
  const openaiSecret = `sk-${randomBytes(24).toString('hex')}`;
  const anthropicSecret = `sk-ant-${randomBytes(24).toString('hex')}`;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      ...credentialKeyEnv(),
      LOG_LEVEL: 'info',
    });
    gw = await spawnGateway(env.env);
    worker = await spawnWorker(env.env);
    await createAccount(gw.url, env.adminKey, {
      name: 'oa',
      provider: 'openai',
      base_url: upstream.openaiBase('oa'),
      credential: openaiSecret,
      models: ['gpt-test'],
    });
    await createAccount(gw.url, env.adminKey, {
      name: 'an',
      provider: 'anthropic',
      base_url: upstream.anthropicBase('an'),
      credential: anthropicSecret,
      models: ['claude-test'],
    });
    clientKey = (
      await createKey(gw.url, env.adminKey, { allowed_models: ['gpt-test', 'claude-test'] })
    ).key;
  });

  afterAll(async () => {
    await gw?.stop();
    await worker?.stop();
    await upstream?.close();
    await env?.cleanup();
  });

  it('answers chat completions through the openai SDK, with the account credential upstream', async () => {
    const openai = new OpenAI({ apiKey: clientKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Hello from oa');
    expect(completion.usage?.total_tokens).toBe(12);
    const seen = upstream.requests.filter((r) => r.account === 'oa').at(-1);
    expect(seen?.headers.authorization).toBe(`Bearer ${openaiSecret}`);
    expect(JSON.stringify(seen?.headers)).not.toContain(clientKey);
  });

  it('streams chat completions through the openai SDK', async () => {
    const openai = new OpenAI({ apiKey: clientKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: number | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage?.total_tokens ?? usage;
    }
    expect(text).toBe('tok0 tok1 tok2 tok3 ');
    expect(usage).toBe(9);
  });

  it("counts a stream's tokens when the client did not ask for usage, and hides the chunk", async () => {
    await awayFromPeriodEnd('tokens_per_day', 15_000); // spent and read on the same UTC day
    const { key, id } = await createKey(gw.url, env.adminKey, {
      allowed_models: ['gpt-test'],
      tokens_per_day: 1_000_000,
    });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'count me' }],
        stream: true,
      }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    // The worker asked for usage upstream; the client sees the stream it asked for.
    const seen = upstream.requests.filter((r) => r.account === 'oa').at(-1);
    expect(seen?.body.stream_options).toEqual({ include_usage: true });
    expect(text).toBe(openaiStream('gpt-test', 4, 0, false).join(''));
    // The reservation settled to 5 prompt + 4 completion tokens on the key's total for today.
    const redis = new Redis(TEST_REDIS_URL);
    const today = budgetCounter(env.redisPrefix, id, 'tokens_per_day');
    try {
      await waitFor(async () => (await redis.get(today)) === '9', 5_000);
    } finally {
      redis.disconnect();
    }
  });

  it('answers messages through the anthropic SDK, JSON and stream', async () => {
    const anthropic = new Anthropic({ apiKey: clientKey, baseURL: gw.url, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Hello from an' });
    const seen = upstream.requests.filter((r) => r.account === 'an').at(-1);
    expect(seen?.headers['x-api-key']).toBe(anthropicSecret);
    expect(seen?.headers['anthropic-version']).toBeDefined();

    const stream = anthropic.messages.stream({
      model: 'claude-test',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    stream.on('text', (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe('tok0 tok1 tok2 tok3 ');
    expect(final.usage.output_tokens).toBe(4);
  });

  it('refuses a model outside the key allowlist with 403 and bad bodies with 400', async () => {
    const narrow = (await createKey(gw.url, env.adminKey, { allowed_models: ['gpt-test'] })).key;
    const denied = await request(gw.url)
      .post('/v1/chat/completions')
      .set('Authorization', `Bearer ${narrow}`)
      .send({ model: 'gpt-other', messages: [{ role: 'user', content: 'x' }] })
      .expect(403);
    expect(denied.body.error.type).toBe('permission_denied');
    const bad = await request(gw.url)
      .post('/v1/chat/completions')
      .set('Authorization', `Bearer ${narrow}`)
      .send({ model: 'gpt-test', messages: [] })
      .expect(400);
    expect(bad.body.error.message).toMatch(/messages/);
  });

  it('lists the models this key may use', async () => {
    const res = await request(gw.url)
      .get('/v1/models')
      .set('Authorization', `Bearer ${clientKey}`)
      .expect(200);
    expect((res.body.data as { id: string }[]).map((m) => m.id)).toEqual([
      'claude-test',
      'gpt-test',
    ]);
  });

  it('never logs the upstream credentials', () => {
    const logs = gw.output() + worker.output();
    expect(logs).not.toContain(openaiSecret);
    expect(logs).not.toContain(anthropicSecret);
    expect(logs).not.toContain(clientKey);
  });
});
