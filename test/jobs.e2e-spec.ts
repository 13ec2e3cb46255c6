import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { createAccount, createKey } from './support/admin-client.js';
import {
  anthropicMessage,
  type MockUpstream,
  openaiCompletion,
  startMockUpstream,
  LOOPBACK_UPSTREAM,
} from './support/mock-upstream.js';
import { type SpawnedApp, spawnGateway, spawnWorker, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv, credentialKeyEnv } from './support/test-env.js';
import type { JobView } from '../apps/gateway/src/jobs/job-view.js';

const JOBS_PER_MIN = 3;

describe('async jobs API', () => {
  let env: TestEnv;
  let upstream: MockUpstream;
  let gw: SpawnedApp & { url: string };
  let worker: SpawnedApp;
  let db: pg.Client;

  const chat = (model: string, content = 'hi') => ({
    endpoint: 'chat.completions',
    body: { model, messages: [{ role: 'user', content }] },
  });

  const newKey = async (body: Record<string, unknown> = {}) =>
    (await createKey(gw.url, env.adminKey, body)).key;

  const submit = (key: string, payload: unknown, idempotencyKey?: string) => {
    const req = request(gw.url).post('/api/v1/jobs').set('x-api-key', key);
    if (idempotencyKey !== undefined) req.set('Idempotency-Key', idempotencyKey);
    return req.send(payload as object);
  };

  const getJob = (key: string, id: string) =>
    request(gw.url).get(`/api/v1/jobs/${id}`).set('x-api-key', key);

  const listJobs = (key: string, query = '') =>
    request(gw.url).get(`/api/v1/jobs${query}`).set('x-api-key', key);

  /** Polls the job until it has finished, and returns its final view. */
  const finished = async (key: string, id: string, timeoutMs = 15_000): Promise<JobView> => {
    let last: JobView | undefined;
    await waitFor(
      async () => {
        const res = await getJob(key, id);
        last = res.body as JobView;
        return res.status === 200 && (last.status === 'completed' || last.status === 'failed');
      },
      timeoutMs,
      () => `last view: ${JSON.stringify(last)}\n${worker.output()}`,
    );
    return last as JobView;
  };

  const rowsOf = async (keyId: string) =>
    (await db.query<{ id: string }>('SELECT id FROM jobs WHERE key_id = $1', [keyId])).rows;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    upstream.setBehaviour('bad', { kind: 'status', status: 400 });
    upstream.setBehaviour('slow', { kind: 'ok', delayMs: 3_000 });
    env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      ...credentialKeyEnv(),
      RATE_LIMIT_JOBS_PER_MIN: String(JOBS_PER_MIN),
      // This suite submits from one address with many keys; the per-IP limit has its own suite.
      RATE_LIMIT_JOBS_PER_IP_PER_MIN: '1000',
      PROXY_JOB_LOCK_MS: '2000',
    });
    gw = await spawnGateway(env.env);
    worker = await spawnWorker(env.env);
    const account = (name: string, provider: string, model: string) =>
      createAccount(gw.url, env.adminKey, {
        name,
        provider,
        base_url: provider === 'openai' ? upstream.openaiBase(name) : upstream.anthropicBase(name),
        credential: `sk-${randomBytes(24).toString('hex')}`,
        models: [model],
      });
    await account('ok', 'openai', 'gpt-ok');
    await account('an', 'anthropic', 'claude-ok');
    await account('bad', 'openai', 'gpt-bad');
    await account('slow', 'openai', 'gpt-slow');
    db = new pg.Client({ connectionString: env.database.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await gw?.stop();
    await worker?.stop();
    await upstream?.close();
    await env?.cleanup();
  });

  it('accepts a job with 202 and Location, runs it, and keeps the completion for polling', async () => {
    const key = await newKey();
    const res = await submit(key, chat('gpt-ok', 'async please')).expect(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'queued' });
    const id = (res.body as { id: string }).id;
    expect(res.headers.location).toBe(`/api/v1/jobs/${id}`);
    expect(res.headers['idempotent-replayed']).toBeUndefined();

    const job = await finished(key, id);
    expect(job).toMatchObject({
      id,
      status: 'completed',
      endpoint: 'chat.completions',
      model: 'gpt-ok',
      upstream_status: 200,
      result_truncated: false,
      error: null,
      usage: { input: 5, output: 7 },
    });
    expect(job.result).toEqual(openaiCompletion('gpt-ok', 'ok'));
    expect(Object.keys(job).sort()).toEqual(
      [
        'id',
        'status',
        'endpoint',
        'model',
        'created_at',
        'started_at',
        'completed_at',
        'expires_at',
        'result',
        'result_truncated',
        'upstream_status',
        'error',
        'usage',
      ].sort(),
    );
    const completedAt = Date.parse(job.completed_at ?? '');
    expect(Date.parse(job.started_at ?? '')).toBeLessThanOrEqual(completedAt);
    // JOB_RESULT_TTL_HOURS defaults to 24.
    expect(Date.parse(job.expires_at ?? '') - completedAt).toBe(24 * 3600_000);
    const seen = upstream.requests.filter((r) => r.account === 'ok').at(-1);
    expect(seen?.body).toMatchObject({ model: 'gpt-ok', messages: [{ content: 'async please' }] });
    expect(seen?.body.stream).not.toBe(true);
  });

  it('runs Anthropic messages jobs too', async () => {
    const key = await newKey();
    const res = await submit(key, {
      endpoint: 'messages',
      body: { model: 'claude-ok', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] },
    }).expect(202);
    const job = await finished(key, (res.body as { id: string }).id);
    expect(job.status).toBe('completed');
    expect(job.result).toEqual(anthropicMessage('claude-ok', 'an'));
  });

  it('refuses invalid submissions without creating or counting a job', async () => {
    const created = await createKey(gw.url, env.adminKey, { allowed_models: ['gpt-ok'] });
    const key = created.key;
    const cases: [unknown, number, RegExp][] = [
      [{ ...chat('gpt-ok'), extra: 1 }, 400, /extra should not exist/],
      [{ endpoint: 'embeddings', body: chat('gpt-ok').body }, 400, /endpoint must be one of/],
      [{ endpoint: 'chat.completions', body: [1] }, 400, /body must be a JSON object/],
      [{ endpoint: 'chat.completions' }, 400, /body must be a JSON object/],
      [{ endpoint: 'chat.completions', body: { model: 'gpt-ok', messages: [] } }, 400, /messages/],
      [
        { endpoint: 'chat.completions', body: { ...chat('gpt-ok').body, stream: true } },
        400,
        /stream/,
      ],
      [chat('gpt-other'), 403, /may not use model "gpt-other"/],
    ];
    for (const [payload, status, message] of cases) {
      const res = await submit(key, payload);
      expect({ status: res.status, payload }).toEqual({ status, payload });
      expect((res.body as { error: { message: string } }).error.message).toMatch(message);
    }
    for (const bad of ['', 'x'.repeat(201), 'caf\u00e9']) {
      const res = await submit(key, chat('gpt-ok'), bad);
      expect(res.status).toBe(400);
      expect((res.body as { error: { message: string } }).error.message).toMatch(/Idempotency-Key/);
    }
    expect(await rowsOf(created.id)).toEqual([]);
    // None of the refusals used up the submission limit.
    for (let i = 0; i < JOBS_PER_MIN; i++) await submit(key, chat('gpt-ok')).expect(202);
  });

  it("shows a job only to its owner: another key's job, an unknown id and a bad id are one 404", async () => {
    const owner = await newKey();
    const other = await newKey();
    const id = ((await submit(owner, chat('gpt-ok')).expect(202)).body as { id: string }).id;
    await finished(owner, id);
    await submit(other, chat('gpt-ok')).expect(202);

    const foreign = await getJob(other, id).expect(404);
    const unknown = await getJob(other, randomUUID()).expect(404);
    const malformed = await getJob(other, 'not-a-uuid').expect(404);
    expect(foreign.body.error.message).toBe('No job with this id');
    expect(unknown.body.error.message).toBe(foreign.body.error.message);
    expect(malformed.body.error.message).toBe(foreign.body.error.message);
    expect(JSON.stringify(foreign.body)).not.toContain('gpt-ok');

    const listed = (await listJobs(other).expect(200)).body as { data: { id: string }[] };
    expect(listed.data).toHaveLength(1);
    expect(listed.data.map((j) => j.id)).not.toContain(id);
    const own = (await listJobs(owner).expect(200)).body as { data: { id: string }[] };
    expect(own.data.map((j) => j.id)).toEqual([id]);

    // The admin key is not a client key, and no key at all is a 401.
    await getJob(env.adminKey, id).expect(401);
    await request(gw.url).get(`/api/v1/jobs/${id}`).expect(401);
  });

  it('replays a repeated Idempotency-Key without a second job or count, and refuses it for another request', async () => {
    const created = await createKey(gw.url, env.adminKey);
    const key = created.key;
    const idem = `order-${randomUUID()}`;
    const payload = {
      endpoint: 'chat.completions',
      body: { model: 'gpt-ok', temperature: 0.5, messages: [{ role: 'user', content: idem }] },
    };
    const first = await submit(key, payload, idem).expect(202);
    const id = (first.body as { id: string }).id;
    expect(first.headers['x-ratelimit-remaining']).toBe(String(JOBS_PER_MIN - 1));
    await finished(key, id);

    // Same request, fields in another order: the same job, now completed.
    const again = await submit(
      key,
      {
        body: { messages: [{ content: idem, role: 'user' }], temperature: 0.5, model: 'gpt-ok' },
        endpoint: 'chat.completions',
      },
      idem,
    ).expect(202);
    expect(again.body).toEqual({ id, status: 'completed' });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBe(`/api/v1/jobs/${id}`);

    const conflict = await submit(
      key,
      { ...payload, body: { ...payload.body, temperature: 0.9 } },
      idem,
    ).expect(409);
    expect(conflict.body.error.type).toBe('conflict');
    const otherEndpoint = await submit(
      key,
      { ...payload, endpoint: 'messages', body: { ...payload.body, max_tokens: 8 } },
      idem,
    );
    expect(otherEndpoint.status).toBe(409);

    expect((await rowsOf(created.id)).map((r) => r.id)).toEqual([id]);
    expect(upstream.requests.filter((r) => JSON.stringify(r.body).includes(idem))).toHaveLength(1);
    // The replays were not counted: the next new submission still has one to spare.
    const next = await submit(key, chat('gpt-ok')).expect(202);
    expect(next.headers['x-ratelimit-remaining']).toBe(String(JOBS_PER_MIN - 2));

    // Idempotency-Keys are per client key: another key may use the same one for its own job.
    const stranger = await submit(await newKey(), payload, idem).expect(202);
    expect(stranger.body.id).not.toBe(id);
    expect(stranger.headers['idempotent-replayed']).toBeUndefined();
  });

  it('gives concurrent submissions with one Idempotency-Key one job', async () => {
    const created = await createKey(gw.url, env.adminKey);
    const idem = randomUUID();
    const payload = chat('gpt-ok', `race ${idem}`);
    const responses = await Promise.all(
      Array.from({ length: JOBS_PER_MIN }, () => submit(created.key, payload, idem)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(JOBS_PER_MIN).fill(202));
    const ids = new Set(responses.map((r) => (r.body as { id: string }).id));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(
      JOBS_PER_MIN - 1,
    );
    expect(await rowsOf(created.id)).toHaveLength(1);
    await finished(created.key, [...ids][0] ?? '');
    expect(
      upstream.requests.filter((r) => JSON.stringify(r.body).includes(`race ${idem}`)),
    ).toHaveLength(1);
  });

  it("fails a revoked key's unfinished jobs and aborts the one running upstream", async () => {
    const created = await createKey(gw.url, env.adminKey);
    const running = await submit(created.key, chat('gpt-slow', 'revoke me running')).expect(202);
    const runningId = (running.body as { id: string }).id;
    // Started upstream (the slow account answers after 3 s) before the key goes.
    await waitFor(
      () =>
        Promise.resolve(
          upstream.requests.some((r) => JSON.stringify(r.body).includes('revoke me running')),
        ),
      10_000,
    );
    await request(gw.url)
      .post(`/api/v1/admin/keys/${created.id}/revoke`)
      .set('x-api-key', env.adminKey)
      .expect(200);

    const row = await db.query<{ status: string; error: { type?: string } | null }>(
      'SELECT status, error FROM jobs WHERE id = $1',
      [runningId],
    );
    expect(row.rows[0]).toMatchObject({ status: 'failed', error: { type: 'key_revoked' } });
    const call = upstream.requests.find((r) =>
      JSON.stringify(r.body).includes('revoke me running'),
    );
    await waitFor(() => Promise.resolve(call?.aborted === true), 2_000);
    // Nothing the worker finishes later overwrites it.
    await new Promise((r) => setTimeout(r, 500));
    const after = await db.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1', [
      runningId,
    ]);
    expect(after.rows[0]?.status).toBe('failed');
  });

  it('limits submissions per key per minute with X-RateLimit-* and a 429 with Retry-After', async () => {
    const created = await createKey(gw.url, env.adminKey);
    for (let i = 1; i <= JOBS_PER_MIN; i++) {
      const res = await submit(created.key, chat('gpt-ok')).expect(202);
      expect(res.headers['x-ratelimit-limit']).toBe(String(JOBS_PER_MIN));
      expect(res.headers['x-ratelimit-remaining']).toBe(String(JOBS_PER_MIN - i));
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    }
    const limited = await submit(created.key, chat('gpt-ok')).expect(429);
    expect(limited.body.error.type).toBe('rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(await rowsOf(created.id)).toHaveLength(JOBS_PER_MIN);

    // The limit is per key: another key submits, and the limited key may still read its jobs.
    await submit(await newKey(), chat('gpt-ok')).expect(202);
    await listJobs(created.key).expect(200);
  });

  it('lists the caller’s jobs newest first, in pages, without result bodies', async () => {
    const key = await newKey();
    const ids: string[] = [];
    for (let i = 0; i < JOBS_PER_MIN; i++) {
      ids.push(((await submit(key, chat('gpt-ok')).expect(202)).body as { id: string }).id);
    }
    for (const id of ids) await finished(key, id);

    const first = (await listJobs(key, '?limit=2').expect(200)).body as {
      data: Record<string, unknown>[];
      next_cursor: string | null;
    };
    expect(first.data).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = (
      await listJobs(key, `?limit=2&cursor=${encodeURIComponent(first.next_cursor ?? '')}`).expect(
        200,
      )
    ).body as { data: Record<string, unknown>[]; next_cursor: string | null };
    expect(second.data).toHaveLength(1);
    expect(second.next_cursor).toBeNull();
    expect([...first.data, ...second.data].map((j) => j.id)).toEqual([...ids].reverse());
    for (const summary of first.data) {
      expect(summary).not.toHaveProperty('result');
      expect(summary).toMatchObject({ status: 'completed', model: 'gpt-ok', upstream_status: 200 });
    }

    const completed = (await listJobs(key, '?status=completed').expect(200)).body as {
      data: unknown[];
    };
    expect(completed.data).toHaveLength(JOBS_PER_MIN);
    const failed = (await listJobs(key, '?status=failed').expect(200)).body as { data: unknown[] };
    expect(failed.data).toEqual([]);
    await listJobs(key, '?status=done').expect(400);
    await listJobs(key, '?cursor=garbage').expect(400);
    await listJobs(key, '?limit=0').expect(400);
  });

  it('records an upstream refusal as a failed job with its status', async () => {
    const key = await newKey();
    const res = await submit(key, chat('gpt-bad')).expect(202);
    const job = await finished(key, (res.body as { id: string }).id);
    expect(job).toMatchObject({
      status: 'failed',
      upstream_status: 400,
      result: null,
      error: { status: 400, type: 'upstream_error', body: { error: { message: 'mock 400' } } },
    });
    expect(job.completed_at).not.toBeNull();
  });

  it('forgets a job once its result expired, and releases its Idempotency-Key', async () => {
    const key = await newKey();
    const idem = randomUUID();
    const payload = chat('gpt-ok');
    const id = ((await submit(key, payload, idem).expect(202)).body as { id: string }).id;
    await finished(key, id);
    await getJob(key, id).expect(200);

    await db.query(`UPDATE jobs SET expires_at = now() - interval '1 minute' WHERE id = $1`, [id]);
    const gone = await getJob(key, id).expect(404);
    expect(gone.body.error.message).toBe('No job with this id');
    const listed = (await listJobs(key).expect(200)).body as { data: { id: string }[] };
    expect(listed.data.map((j) => j.id)).not.toContain(id);

    const fresh = await submit(key, payload, idem).expect(202);
    expect(fresh.body.id).not.toBe(id);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect((await finished(key, (fresh.body as { id: string }).id)).status).toBe('completed');
  });

  it('finishes a job whose worker was killed mid-request on the next worker', async () => {
    const key = await newKey();
    const before = upstream.requests.filter((r) => r.account === 'slow').length;
    const id = ((await submit(key, chat('gpt-slow')).expect(202)).body as { id: string }).id;
    // Killed while the upstream is answering: the row is active and the request is in flight.
    await waitFor(
      async () =>
        (await db.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1', [id])).rows[0]
          ?.status === 'active' &&
        upstream.requests.filter((r) => r.account === 'slow').length > before,
      10_000,
      () => worker.output(),
    );
    const killed = worker;
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect((await getJob(key, id).expect(200)).body.status).toBe('active');

    worker = await spawnWorker(env.env);
    const job = await finished(key, id, 20_000);
    expect(job.status).toBe('completed');
    expect(job.result).toEqual(openaiCompletion('gpt-slow', 'slow'));
    // The upstream saw the interrupted attempt and the one that finished.
    expect(upstream.requests.filter((r) => r.account === 'slow').length - before).toBe(2);
  }, 60_000);
});

describe('async job submissions per client address', () => {
  let env: TestEnv;
  let gw: SpawnedApp & { url: string };

  beforeAll(async () => {
    env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      RATE_LIMIT_JOBS_PER_MIN: '5',
      RATE_LIMIT_JOBS_PER_IP_PER_MIN: '3',
    });
    gw = await spawnGateway(env.env);
  });

  afterAll(async () => {
    await gw?.stop();
    await env?.cleanup();
  });

  it('limits one address across its keys, with 429, Retry-After and X-RateLimit-*', async () => {
    const submit = (key: string) =>
      request(gw.url)
        .post('/api/v1/jobs')
        .set('x-api-key', key)
        .send({
          endpoint: 'chat.completions',
          body: { model: 'gpt-any', messages: [{ role: 'user', content: 'hi' }] },
        });
    const a = (await createKey(gw.url, env.adminKey)).key;
    const b = (await createKey(gw.url, env.adminKey)).key;
    await submit(a).expect(202);
    await submit(a).expect(202);
    const third = await submit(b).expect(202);
    // The address's limit is now the tightest: it is the one reported.
    expect(third.headers['x-ratelimit-limit']).toBe('3');
    expect(third.headers['x-ratelimit-remaining']).toBe('0');
    // Key b has used one of its five, yet the address has no submission left.
    const limited = await submit(b).expect(429);
    expect(limited.body.error.type).toBe('rate_limited');
    expect(limited.body.error.message).toMatch(/address may submit 3 jobs per minute/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
  });
});
