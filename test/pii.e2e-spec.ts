import Anthropic from '@anthropic-ai/sdk';
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import pg from 'pg';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createAccount, createKey } from './support/admin-client.js';
import {
  LOOPBACK_UPSTREAM,
  type MockUpstream,
  startMockUpstream,
} from './support/mock-upstream.js';
import { type SpawnedApp, spawnGateway, spawnWorker, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv, credentialKeyEnv } from './support/test-env.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

/**
 * Personal data leaves through the gateway masked and comes back restored: the provider (here
 * the mock, which echoes the prompt) sees only placeholders, the client gets its own text back,
 * JSON and streamed (placeholders split across chunks), and no original is stored anywhere.
 */
describe('PII masking', () => {
  let env: TestEnv;
  let upstream: MockUpstream;
  let gw: SpawnedApp & { url: string };
  let worker: SpawnedApp;
  let key: string;

  // Generated per run: a credential that must never leave, and values of every entity type.
  const tag = randomBytes(4).toString('hex');
  const canaries = {
    email: `jane.${tag}@example.com`,
    phone: '+44 20 7946 0958',
    card: '4111 1111 1111 1111',
    iban: 'GB82 WEST 1234 5698 7654 32',
    ip: '203.0.113.77',
    ssn: '123-45-6789',
    credential: `sk-${randomBytes(20).toString('hex')}`,
    custom: `EMP-${String(100_000 + (parseInt(tag, 16) % 900_000))}`,
    term: 'Project Bluefin',
  };
  // With `off` this one is stored like any prompt: the store scan below must find it.
  const untouched = `Reach me at someone.${tag}@example.org`;
  const prompt =
    `Mail ${canaries.email} or call ${canaries.phone}; card ${canaries.card}, IBAN ` +
    `${canaries.iban}, host ${canaries.ip}, SSN ${canaries.ssn}, key ${canaries.credential}, ` +
    `badge ${canaries.custom}, about ${canaries.term}. Again: ${canaries.email}.`;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      ...credentialKeyEnv(),
      PII_CUSTOM_PATTERNS: JSON.stringify([{ name: 'badge', pattern: 'EMP-[0-9]{6}' }]),
      PII_TERMS: 'Project Bluefin,Jane Roe',
      LOG_LEVEL: 'info',
    });
    gw = await spawnGateway(env.env);
    worker = await spawnWorker(env.env);
    for (const [name, provider, base, model] of [
      ['oa', 'openai', upstream.openaiBase('oa'), 'gpt-test'],
      ['an', 'anthropic', upstream.anthropicBase('an'), 'claude-test'],
    ] as const) {
      await createAccount(gw.url, env.adminKey, {
        name,
        provider,
        base_url: base,
        credential: `sk-${randomBytes(24).toString('hex')}`,
        models: [model],
      });
      upstream.setBehaviour(name, { kind: 'ok', echoInPiecesOf: 3 });
    }
    key = (await createKey(gw.url, env.adminKey, {})).key;
  });

  afterAll(async () => {
    await gw?.stop();
    await worker?.stop();
    await upstream?.close();
    await env?.cleanup();
  });

  /** What the mock received last from an account, as text. */
  const lastSent = (account: string) =>
    JSON.stringify(upstream.requests.filter((r) => r.account === account).at(-1)?.body ?? {});

  function expectOnlyPlaceholders(sent: string): void {
    for (const value of Object.values(canaries)) expect(sent).not.toContain(value);
    expect(sent).toContain('<EMAIL_1>');
    expect(sent).toContain('<CARD_1>');
    expect(sent).toContain('<BADGE_1>');
    // The same value, the same placeholder.
    expect(sent.match(/<EMAIL_\d+>/g)).toEqual(['<EMAIL_1>', '<EMAIL_1>']);
  }

  it('masks an OpenAI prompt and restores the answer, JSON and streamed', async () => {
    const openai = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: prompt }],
    });
    expectOnlyPlaceholders(lastSent('oa'));
    expect(completion.choices[0]?.message.content).toBe(prompt);

    const stream = await openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: prompt }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expectOnlyPlaceholders(lastSent('oa'));
    expect(text).toBe(prompt);
  });

  it('masks an Anthropic prompt and restores the answer, JSON and streamed', async () => {
    const anthropic = new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 64,
      messages: [{ role: 'user', content: prompt }],
    });
    expectOnlyPlaceholders(lastSent('an'));
    expect(message.content[0]).toMatchObject({ type: 'text', text: prompt });

    let text = '';
    const stream = anthropic.messages.stream({
      model: 'claude-test',
      max_tokens: 64,
      messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    });
    stream.on('text', (piece) => (text += piece));
    await stream.finalMessage();
    expectOnlyPlaceholders(lastSent('an'));
    expect(text).toBe(prompt);
  });

  it('refuses with block, naming the types and never the values; passes untouched with off', async () => {
    const blocked = (await createKey(gw.url, env.adminKey, { pii_policy: 'block' })).key;
    const before = upstream.requests.length;
    const res = await request(gw.url)
      .post('/v1/chat/completions')
      .set('x-api-key', blocked)
      .send({
        model: 'gpt-test',
        messages: [{ role: 'user', content: `write to ${canaries.email}` }],
      })
      .expect(400);
    expect(res.body.error.type).toBe('pii_detected');
    expect(res.body.error.message).toContain('email');
    expect(res.body.error.message).not.toContain(canaries.email);
    expect(upstream.requests.length).toBe(before);

    const off = (await createKey(gw.url, env.adminKey, { pii_policy: 'off' })).key;
    const plain = await request(gw.url)
      .post('/v1/chat/completions')
      .set('x-api-key', off)
      .send({ model: 'gpt-test', messages: [{ role: 'user', content: untouched }] })
      .expect(200);
    expect(lastSent('oa')).toContain(untouched);
    expect(plain.body.choices[0].message.content).toBe(untouched);
  });

  it('restores an async result for its owner only', async () => {
    const submitted = await request(gw.url)
      .post('/api/v1/jobs')
      .set('x-api-key', key)
      .send({
        endpoint: 'chat.completions',
        body: { model: 'gpt-test', messages: [{ role: 'user', content: prompt }] },
      })
      .expect(202);
    const id = submitted.body.id as string;
    let view:
      { status: string; result: { choices: { message: { content: string } }[] } } | undefined;
    await waitFor(async () => {
      const res = await request(gw.url).get(`/api/v1/jobs/${id}`).set('x-api-key', key);
      view = res.body as typeof view;
      return view?.status === 'completed';
    }, 10_000);
    expectOnlyPlaceholders(lastSent('oa'));
    expect(view?.result.choices[0]?.message.content).toBe(prompt);
    const other = (await createKey(gw.url, env.adminKey, {})).key;
    await request(gw.url).get(`/api/v1/jobs/${id}`).set('x-api-key', other).expect(404);
    // The originals live sealed in the job's row only, and go with it.
    const db = new pg.Client({ connectionString: env.database.url });
    await db.connect();
    try {
      const row = await db.query<{ pii_vault: string | null }>(
        'SELECT pii_vault FROM jobs WHERE id = $1',
        [id],
      );
      expect(row.rows[0]?.pii_vault).toMatch(/^v1\./);
      await db.query(`UPDATE jobs SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        id,
      ]);
    } finally {
      await db.end();
    }
    await request(gw.url).get(`/api/v1/jobs/${id}`).set('x-api-key', key).expect(404);
  });

  it('masks adversarial prompts in bounded time', async () => {
    for (const filler of ['7', '@', 'DE00 ']) {
      const started = Date.now();
      const res = await request(gw.url)
        .post('/v1/chat/completions')
        .set('x-api-key', key)
        .send({ model: 'gpt-test', messages: [{ role: 'user', content: filler.repeat(60_000) }] });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5_000);
    }
  });

  it('stores no original anywhere: Redis, Postgres, logs', async () => {
    expect(await whereStored(canaries)).toEqual([]);
    // The scan does find what was stored: the prompt sent with `off`.
    expect(await whereStored({ untouched })).not.toEqual([]);
  });

  /** Where any of `values` can be read: Redis keys of this suite, its database, the apps' logs. */
  async function whereStored(values: Record<string, string>): Promise<string[]> {
    const found: string[] = [];
    const redis = new Redis(TEST_REDIS_URL);
    try {
      for await (const keys of redis.scanStream({ match: `*${env.redisPrefix}*`, count: 500 })) {
        for (const name of keys as string[]) {
          const text = `${name} ${await readable(redis, name)}`;
          for (const [type, value] of Object.entries(values)) {
            if (text.includes(value)) found.push(`redis ${name}: ${type}`);
          }
        }
      }
    } finally {
      redis.disconnect();
    }
    const db = new pg.Client({ connectionString: env.database.url });
    await db.connect();
    try {
      const tables = await db.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
      );
      for (const { tablename } of tables.rows) {
        const rows = await db.query<{ row: string }>(
          `SELECT row_to_json(t)::text AS row FROM "${tablename}" t`,
        );
        for (const { row } of rows.rows) {
          for (const [type, value] of Object.entries(values)) {
            if (row.includes(value)) found.push(`postgres ${tablename}: ${type}`);
          }
        }
      }
    } finally {
      await db.end();
    }
    for (const [type, value] of Object.entries(values)) {
      if (gw.output().includes(value)) found.push(`gateway log: ${type}`);
      if (worker.output().includes(value)) found.push(`worker log: ${type}`);
    }
    return found;
  }
});

/** A Redis key's whole value as text, whatever its type (DUMP would compress it). */
async function readable(redis: Redis, name: string): Promise<string> {
  switch (await redis.type(name)) {
    case 'string':
      return (await redis.get(name)) ?? '';
    case 'hash':
      return JSON.stringify(await redis.hgetall(name));
    case 'list':
      return JSON.stringify(await redis.lrange(name, 0, -1));
    case 'set':
      return JSON.stringify(await redis.smembers(name));
    case 'zset':
      return JSON.stringify(await redis.zrange(name, 0, -1));
    case 'stream':
      return JSON.stringify(await redis.xrange(name, '-', '+'));
    default:
      return '';
  }
}
