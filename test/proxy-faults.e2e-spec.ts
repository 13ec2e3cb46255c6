import { bullPrefix, QueueName, slotSetKey } from '@gatehouse/queue';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import {
  type MockUpstream,
  type RecordedRequest,
  openaiStream,
  startMockUpstream,
  LOOPBACK_UPSTREAM,
} from './support/mock-upstream.js';
import { type SpawnedApp, spawnGateway, spawnWorker, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv, credentialKeyEnv } from './support/test-env.js';
import type { ErrorBody } from '../apps/gateway/src/http/error-body.js';

/** One gateway + one worker on an environment of their own, with accounts on the mock upstream. */
type Stack = {
  env: TestEnv;
  gw: SpawnedApp & { url: string };
  worker: SpawnedApp;
  clientKey: string;
  secrets: string[];
  /** Every response body a client saw, to prove no secret ever leaks into one. */
  bodies: string[];
  /** Adds an account for `models` (and for its own probe model, see untilUsed). */
  addAccount(name: string, models: string[], extra?: Record<string, unknown>): Promise<string>;
  /**
   * Waits until the worker uses `account`. Accounts reach the worker by broadcast, so a request
   * made right after an account was added may find the pool without it; this asks for a model
   * only that account serves until the account answers it.
   */
  untilUsed(account: string): Promise<void>;
  post(model: string, extra?: Record<string, unknown>, init?: RequestInit): Promise<Response>;
  text(res: Response): Promise<string>;
  stop(): Promise<void>;
};

async function startStack(
  upstream: MockUpstream,
  overrides: Record<string, string>,
): Promise<Stack> {
  const env = await createTestEnv({
    ...LOOPBACK_UPSTREAM,
    ...credentialKeyEnv(),
    LOG_LEVEL: 'info',
    ...overrides,
  });
  const [gw, worker] = await Promise.all([spawnGateway(env.env), spawnWorker(env.env)]);
  const clientKey = (await createKey(gw.url, env.adminKey)).key;
  const secrets = [clientKey, env.adminKey];
  const bodies: string[] = [];
  const stack: Stack = {
    env,
    gw,
    worker,
    clientKey,
    secrets,
    bodies,
    addAccount: async (name, models, extra = {}) => {
      const credential = `sk-${randomBytes(24).toString('hex')}`;
      secrets.push(credential);
      const res = await request(gw.url)
        .post('/api/v1/admin/accounts')
        .set('x-api-key', env.adminKey)
        .send({
          name,
          provider: 'openai',
          base_url: upstream.openaiBase(name),
          credential,
          models: [...models, probeModel(name)],
          ...extra,
        })
        .expect(201);
      bodies.push(res.text);
      return (res.body as { id: string }).id;
    },
    untilUsed: async (account) => {
      let answer = '';
      await waitFor(
        async () => {
          const res = await stack.post(probeModel(account));
          answer = await stack.text(res);
          return res.status === 200 && answer.includes(`Hello from ${account}`);
        },
        10_000,
        () => `the worker never used account ${account}: ${answer}`,
      );
    },
    post: (model, extra = {}, init = {}) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
        ...init,
      }),
    text: async (res) => {
      const text = await res.text();
      bodies.push(text);
      return text;
    },
    stop: async () => {
      await Promise.all([gw.stop(), worker.stop()]);
      await env.cleanup();
    },
  };
  return stack;
}

/** A model only `account` serves, which untilUsed asks for. */
function probeModel(account: string): string {
  return `probe-${account}`;
}

/** What `account` was asked, untilUsed's probes left out. */
function seenBy(upstream: MockUpstream, account: string): RecordedRequest[] {
  return upstream.requests.filter(
    (r) => r.account === account && r.body.model !== probeModel(account),
  );
}

/**
 * Two accounts for `model`: `limited` (preferred, answers 429 with Retry-After: 30) and
 * `serving`, which answers. Returns the rate-limited account's id.
 */
async function addRateLimitedPair(
  stack: Stack,
  upstream: MockUpstream,
  [limited, serving]: [string, string],
  model: string,
): Promise<string> {
  const id = await stack.addAccount(limited, [model], { priority: 10 });
  await stack.addAccount(serving, [model], { priority: 0 });
  await stack.untilUsed(limited);
  await stack.untilUsed(serving);
  upstream.setBehaviour(limited, { kind: 'status', status: 429, headers: { 'retry-after': '30' } });
  return id;
}

function expectNoSecrets(stack: Stack): void {
  const logs = stack.gw.output() + stack.worker.output();
  expect(stack.bodies.length).toBeGreaterThan(0);
  for (const secret of stack.secrets) {
    expect(logs).not.toContain(secret);
    for (const body of stack.bodies) expect(body).not.toContain(secret);
  }
}

describe('proxy failure behaviour', () => {
  let upstream: MockUpstream;
  let main: Stack;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    main = await startStack(upstream, { UPSTREAM_MAX_ATTEMPTS: '2' });
  }, 45_000);

  afterAll(async () => {
    await main?.stop();
    await upstream?.close();
  }, 30_000);

  it('fails over from a rate-limited account and then skips it while it cools down', async () => {
    await addRateLimitedPair(main, upstream, ['rl-a', 'rl-b'], 'm-failover');

    const first = await main.post('m-failover');
    expect(first.status).toBe(200);
    const body = JSON.parse(await main.text(first)) as {
      choices: { message: { content: string } }[];
    };
    expect(body.choices[0]?.message.content).toBe('Hello from rl-b');
    expect(seenBy(upstream, 'rl-a')).toHaveLength(1);

    // rl-a has the higher priority; only its cooldown can explain it being passed over.
    for (let i = 0; i < 3; i++) {
      const res = await main.post('m-failover');
      expect(res.status).toBe(200);
      expect(await main.text(res)).toContain('Hello from rl-b');
    }
    expect(seenBy(upstream, 'rl-a')).toHaveLength(1);
    expect(seenBy(upstream, 'rl-b')).toHaveLength(4);
  });

  it('answers 429 with Retry-After of the earliest reset when every account cools down', async () => {
    await main.addAccount('cool-a', ['m-cooling']);
    await main.addAccount('cool-b', ['m-cooling']);
    await main.untilUsed('cool-a');
    await main.untilUsed('cool-b');
    upstream.setBehaviour('cool-a', {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '20' },
    });
    upstream.setBehaviour('cool-b', {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '40' },
    });

    const res = await main.post('m-cooling');
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(15);
    expect(retryAfter).toBeLessThanOrEqual(20);
    const body = JSON.parse(await main.text(res)) as ErrorBody;
    expect(body.error.type).toBe('rate_limited');
    expect(body.error.message).toMatch(/rate limited/i);
    expect(typeof body.error.request_id).toBe('string');
    expect(seenBy(upstream, 'cool-a')).toHaveLength(1);
    expect(seenBy(upstream, 'cool-b')).toHaveLength(1);

    // While both cool down, nothing more goes upstream.
    const again = await main.post('m-cooling');
    expect(again.status).toBe(429);
    await main.text(again);
    expect(seenBy(upstream, 'cool-a')).toHaveLength(1);
    expect(seenBy(upstream, 'cool-b')).toHaveLength(1);
  });

  it('retries a 5xx on the next account', async () => {
    await main.addAccount('err-a', ['m-5xx'], { priority: 10 });
    await main.addAccount('err-b', ['m-5xx'], { priority: 0 });
    await main.untilUsed('err-a');
    await main.untilUsed('err-b');
    upstream.setBehaviour('err-a', { kind: 'status', status: 503 });

    const res = await main.post('m-5xx');
    expect(res.status).toBe(200);
    expect(await main.text(res)).toContain('Hello from err-b');
    expect(seenBy(upstream, 'err-a')).toHaveLength(1);
    expect(seenBy(upstream, 'err-b')).toHaveLength(1);
  });

  it("gives up after UPSTREAM_MAX_ATTEMPTS with the gateway's 502, never the upstream's 5xx body", async () => {
    await main.addAccount('err-only', ['m-500']);
    // Provider internals that must not reach the client.
    const upstreamError = {
      error: { message: 'exploded in /srv/provider/models/router.py:412', type: 'server_error' },
    };
    upstream.setBehaviour('err-only', { kind: 'status', status: 500, body: upstreamError });

    const res = await main.post('m-500');
    expect(res.status).toBe(502);
    const text = await main.text(res);
    const body = JSON.parse(text) as ErrorBody;
    expect(body.error.type).toBe('upstream_error');
    expect(body.error.message).toMatch(/HTTP 500/);
    expect(typeof body.error.request_id).toBe('string');
    expect(text).not.toContain('/srv/provider');
    expect(seenBy(upstream, 'err-only')).toHaveLength(2);

    // A stream that fails the same way gets the same answer.
    const streamed = await main.post('m-500', { stream: true });
    expect(streamed.status).toBe(502);
    expect(await main.text(streamed)).not.toContain('/srv/provider');
  });

  it('ends a stream whose client stops reading once STREAM_CLIENT_BUFFER_BYTES are held, and cancels upstream', async () => {
    await main.addAccount('flood', ['m-flood']);
    // About 12 MB: more than the kernel's socket buffers absorb for a client that reads nothing,
    // less than the worker's own response cap (so only the gateway's cap can stop it early).
    upstream.setBehaviour('flood', { kind: 'ok', chunks: 750, chunkPadding: 16 * 1024 });
    const body = JSON.stringify({
      model: 'm-flood',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const url = new URL(main.gw.url);
    const socket = connect(Number(url.port), url.hostname);
    socket.pause(); // a reader that never reads
    socket.on('error', () => undefined);
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: ${url.host}\r\n` +
        `Authorization: Bearer ${main.clientKey}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    try {
      await waitFor(
        () => Promise.resolve(seenBy(upstream, 'flood')[0]?.aborted === true),
        20_000,
        () => main.gw.output(),
      );
      expect(seenBy(upstream, 'flood')[0]?.finished).toBe(false);
    } finally {
      socket.destroy();
    }
    // The gateway goes on serving.
    const after = await main.post('m-flood', {});
    expect(after.status).toBe(200);
    await main.text(after);
  }, 40_000);

  it("relays a provider's 4xx in its own format without any part of the account's key", async () => {
    await main.addAccount('echoes-key', ['m-echo']);
    const credential = main.secrets.at(-1) ?? '';
    expect(credential).toMatch(/^sk-/);
    // What providers answer to a wrong key: the key, half masked.
    const masked = `${credential.slice(0, 8)}${'*'.repeat(20)}${credential.slice(-6)}`;
    upstream.setBehaviour('echoes-key', {
      kind: 'status',
      status: 401,
      body: { error: { message: `Incorrect API key provided: ${masked}`, type: 'invalid_key' } },
    });

    const res = await main.post('m-echo');
    expect(res.status).toBe(401);
    const text = await main.text(res);
    const body = JSON.parse(text) as { error: { message: string; type: string } };
    expect(body.error.type).toBe('invalid_key'); // the provider's own shape, for its SDKs
    expect(body.error.message).toContain('Incorrect API key provided: ');
    expect(text).not.toContain(credential.slice(0, 8));
    expect(text).not.toContain(credential.slice(-6));
  });

  it('ends an open stream within a second when its key is revoked, and cancels upstream', async () => {
    await main.addAccount('long', ['m-long']);
    upstream.setBehaviour('long', { kind: 'ok', chunks: 100, chunkIntervalMs: 100 });
    const { key, id } = await createKey(main.gw.url, main.env.adminKey);
    const res = await fetch(`${main.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'm-long',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('tok0');

    const revokedAt = Date.now();
    await request(main.gw.url)
      .post(`/api/v1/admin/keys/${id}/revoke`)
      .set('x-api-key', main.env.adminKey)
      .expect(200);
    // The stream ends (closed or cut) long before its ten seconds are up.
    for (;;) {
      const next = await reader.read().catch(() => ({ done: true }) as const);
      if (next.done) break;
    }
    expect(Date.now() - revokedAt).toBeLessThan(1_500);
    await waitFor(() => Promise.resolve(seenBy(upstream, 'long')[0]?.aborted === true), 2_000);
  });

  it('aborts the upstream stream when the client disconnects, without cooling the account', async () => {
    await main.addAccount('cancel', ['m-cancel']);
    upstream.setBehaviour('cancel', { kind: 'ok', chunks: 50, chunkIntervalMs: 100 });

    const controller = new AbortController();
    const res = await main.post('m-cancel', { stream: true }, { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('tok0');
    controller.abort();
    await reader.read().catch(() => undefined);
    const record = seenBy(upstream, 'cancel').at(-1) as RecordedRequest;
    await waitFor(
      () => Promise.resolve(record.aborted),
      1_000,
      () => JSON.stringify(record),
    );
    expect(record.finished).toBe(false);

    // A slow JSON answer, abandoned after 300 ms.
    upstream.setBehaviour('cancel', { kind: 'ok', delayMs: 5_000 });
    const jsonController = new AbortController();
    const pending = main.post('m-cancel', {}, { signal: jsonController.signal });
    await waitFor(() => Promise.resolve(seenBy(upstream, 'cancel').length === 2), 2_000);
    await new Promise((r) => setTimeout(r, 300));
    jsonController.abort();
    await expect(pending).rejects.toThrow();
    const jsonRecord = seenBy(upstream, 'cancel')[1];
    await waitFor(
      () => Promise.resolve(jsonRecord.aborted),
      1_000,
      () => JSON.stringify(jsonRecord),
    );

    // The account is not blamed: it answers the very next request.
    upstream.setBehaviour('cancel', { kind: 'ok' });
    const started = Date.now();
    const next = await main.post('m-cancel');
    expect(next.status).toBe(200);
    expect(await main.text(next)).toContain('Hello from cancel');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('relays 16 concurrent streams byte for byte, in order, as they arrive', async () => {
    const models = Array.from({ length: 16 }, (_, i) => `m-fidelity-${i}`);
    await main.addAccount('fidelity', models);
    upstream.setBehaviour('fidelity', { kind: 'ok', chunks: 40, chunkIntervalMs: 5 });

    const results = await Promise.all(
      models.map(async (model) => {
        const res = await main.post(model, { stream: true });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/event-stream');
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        let text = '';
        let firstAt = 0;
        let lastAt = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          lastAt = Date.now();
          firstAt ||= lastAt;
          text += decoder.decode(value, { stream: true });
        }
        text += decoder.decode();
        main.bodies.push(text);
        return { model, text, spreadMs: lastAt - firstAt };
      }),
    );
    for (const { model, text, spreadMs } of results) {
      // Each stream names its own model in every chunk: cross-talk would show.
      // The client did not ask for usage: the chunk the gateway asked for is not passed on.
      expect(text).toBe(openaiStream(model, 40, 0, false).join(''));
      // 43 events 5 ms apart upstream: a buffering relay would deliver them all at once.
      expect(spreadMs).toBeGreaterThan(80);
    }
  });

  it('answers 503 when no account serves the model, and never uses a paused account', async () => {
    const none = await main.post('m-nobody-serves');
    expect(none.status).toBe(503);
    const body = JSON.parse(await main.text(none)) as ErrorBody;
    expect(body.error.type).toBe('service_unavailable');
    expect(body.error.message).toContain('No upstream account serves model "m-nobody-serves"');

    const paused = await main.addAccount('paused', ['m-paused'], { priority: 10 });
    const spare = await main.addAccount('spare', ['m-paused'], { priority: 0 });
    await main.untilUsed('spare');
    const pause = (id: string) =>
      request(main.gw.url)
        .post(`/api/v1/admin/accounts/${id}/pause`)
        .set('x-api-key', main.env.adminKey)
        .expect(200);
    await pause(paused);
    for (let i = 0; i < 3; i++) {
      const res = await main.post('m-paused');
      expect(res.status).toBe(200);
      expect(await main.text(res)).toContain('Hello from spare');
    }
    expect(seenBy(upstream, 'paused')).toHaveLength(0);

    await pause(spare);
    const nobody = await main.post('m-paused');
    expect(nobody.status).toBe(503);
    const nobodyBody = JSON.parse(await main.text(nobody)) as ErrorBody;
    expect(nobodyBody.error.message).toContain('No upstream account serves model "m-paused"');
    expect(seenBy(upstream, 'spare')).toHaveLength(3);
  });

  it('uses a replaced credential, and never a deleted account, from the very next request', async () => {
    const id = await main.addAccount('rekeyed', ['m-rekeyed']);
    const first = await main.post('m-rekeyed');
    expect(first.status).toBe(200);
    await main.text(first);
    const fresh = `sk-${randomBytes(24).toString('hex')}`;
    main.secrets.push(fresh);
    await request(main.gw.url)
      .patch(`/api/v1/admin/accounts/${id}`)
      .set('x-api-key', main.env.adminKey)
      .send({ credential: fresh })
      .expect(200);
    const second = await main.post('m-rekeyed');
    expect(second.status).toBe(200);
    await main.text(second);
    const seen = seenBy(upstream, 'rekeyed').map((r) => r.headers.authorization);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(`Bearer ${fresh}`);
    expect(seen[0]).not.toBe(seen[1]);

    await request(main.gw.url)
      .delete(`/api/v1/admin/accounts/${id}`)
      .set('x-api-key', main.env.adminKey)
      .expect(204);
    const gone = await main.post('m-rekeyed');
    expect(gone.status).toBe(503);
    await main.text(gone);
    expect(seenBy(upstream, 'rekeyed')).toHaveLength(2);
  });

  it('never shows an account credential or client key in output or responses', () => {
    expectNoSecrets(main);
  });

  describe('with more than one worker', () => {
    let stack: Stack;
    const workers: SpawnedApp[] = [];

    beforeAll(async () => {
      stack = await startStack(upstream, { UPSTREAM_MAX_ATTEMPTS: '2' });
      workers.push(stack.worker, await spawnWorker(stack.env.env));
    }, 45_000);

    afterAll(async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await stack?.stop();
    }, 30_000);

    const restingLine = (id: string) => `account ${id} rate limited`;

    it("rests an account another worker met a rate limit on: told at once, and read at a worker's start", async () => {
      const limited = await addRateLimitedPair(
        stack,
        upstream,
        ['shared-rl', 'shared-ok'],
        'm-shared',
      );

      const first = await stack.post('m-shared');
      expect(first.status).toBe(200);
      expect(await stack.text(first)).toContain('Hello from shared-ok');
      expect(seenBy(upstream, 'shared-rl')).toHaveLength(1);

      // The worker that met the limit stops: the other one only knows of it by the broadcast.
      await waitFor(
        () => Promise.resolve(workers.some((w) => w.output().includes(restingLine(limited)))),
        2_000,
      );
      const [met, other] = workers[0]?.output().includes(restingLine(limited))
        ? [workers[0], workers[1]]
        : [workers[1], workers[0]];
      await met?.stop();
      for (let i = 0; i < 3; i++) {
        const res = await stack.post('m-shared');
        expect(res.status).toBe(200);
        expect(await stack.text(res)).toContain('Hello from shared-ok');
      }
      expect(seenBy(upstream, 'shared-rl')).toHaveLength(1);
      expect(other?.output()).not.toContain(restingLine(limited));

      // A worker started now finds the cooldown in Redis.
      const fresh = await spawnWorker(stack.env.env);
      workers.push(fresh);
      await other?.stop();
      const res = await stack.post('m-shared');
      expect(res.status).toBe(200);
      expect(await stack.text(res)).toContain('Hello from shared-ok');
      expect(seenBy(upstream, 'shared-rl')).toHaveLength(1);
    });
  });

  describe('with a short first-byte timeout and no retries', () => {
    let quick: Stack;

    beforeAll(async () => {
      quick = await startStack(upstream, {
        UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '500',
        UPSTREAM_MAX_ATTEMPTS: '1',
      });
    }, 45_000);

    afterAll(async () => {
      await quick?.stop();
    }, 30_000);

    it('answers 504 when the upstream hangs, and does not cool the account down', async () => {
      await quick.addAccount('hang', ['m-hang']);
      upstream.setBehaviour('hang', { kind: 'hang' });

      const started = Date.now();
      const res = await quick.post('m-hang');
      expect(res.status).toBe(504);
      expect(Date.now() - started).toBeLessThan(3_000);
      const body = JSON.parse(await quick.text(res)) as ErrorBody;
      expect(body.error.type).toBe('upstream_error');
      expect(body.error.message).toMatch(/timed out/);
      expect(seenBy(upstream, 'hang')).toHaveLength(1);
      await waitFor(() => Promise.resolve(seenBy(upstream, 'hang')[0]?.aborted === true), 1_000);

      upstream.setBehaviour('hang', { kind: 'ok' });
      const next = await quick.post('m-hang');
      expect(next.status).toBe(200);
      expect(await quick.text(next)).toContain('Hello from hang');
    });

    it('still fails over from a rate-limited account when retries are off', async () => {
      // A 429 is not a failed attempt: the account cools down and the next one is asked.
      await addRateLimitedPair(quick, upstream, ['solo-rl', 'solo-ok'], 'm-solo');

      const res = await quick.post('m-solo');
      expect(res.status).toBe(200);
      expect(await quick.text(res)).toContain('Hello from solo-ok');
      expect(seenBy(upstream, 'solo-rl')).toHaveLength(1);
    });

    it('never shows an account credential or client key in output or responses', () => {
      expectNoSecrets(quick);
    });
  });

  describe('with one total deadline across attempts', () => {
    let bounded: Stack;

    beforeAll(async () => {
      bounded = await startStack(upstream, {
        UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '1000',
        UPSTREAM_TOTAL_TIMEOUT_MS: '1500',
        UPSTREAM_MAX_ATTEMPTS: '3',
      });
    }, 45_000);

    afterAll(async () => {
      await bounded?.stop();
    }, 30_000);

    it('answers 504 within UPSTREAM_TOTAL_TIMEOUT_MS when every account hangs, not a first-byte timeout per attempt', async () => {
      for (const name of ['hang-1', 'hang-2', 'hang-3']) {
        await bounded.addAccount(name, ['m-hangs']);
        upstream.setBehaviour(name, { kind: 'hang' });
      }
      const started = Date.now();
      const res = await bounded.post('m-hangs');
      const elapsed = Date.now() - started;
      expect(res.status).toBe(504);
      const body = JSON.parse(await bounded.text(res)) as ErrorBody;
      expect(body.error.type).toBe('upstream_error');
      // Three attempts of a 1 s first-byte timeout each took over 3 s; the budget is 1.5 s.
      expect(elapsed).toBeGreaterThanOrEqual(1_400);
      expect(elapsed).toBeLessThan(2_800);
      const asked = ['hang-1', 'hang-2', 'hang-3'].flatMap((n) => seenBy(upstream, n));
      expect(asked.length).toBeLessThanOrEqual(2);
    });
  });

  describe('with caps on what is open at once', () => {
    let capped: Stack;

    beforeAll(async () => {
      capped = await startStack(upstream, { KEY_MAX_CONCURRENT: '2', STREAMS_MAX_PER_IP: '2' });
    }, 45_000);

    afterAll(async () => {
      await capped?.stop();
    }, 30_000);

    /** Posts as `key`, from this test's one address. */
    const postAs = (key: string, model: string, extra: Record<string, unknown> = {}) =>
      fetch(`${capped.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
      });

    async function expectRefused(res: Response, limit: RegExp): Promise<void> {
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      const body = JSON.parse(await capped.text(res)) as ErrorBody;
      expect(body.error.type).toBe('rate_limited');
      expect(body.error.message).toMatch(limit);
    }

    it('refuses a key its requests beyond KEY_MAX_CONCURRENT in flight, and admits again after', async () => {
      await capped.addAccount('cc-slow', ['m-cc']);
      upstream.setBehaviour('cc-slow', { kind: 'ok', delayMs: 1_500 });
      const held = [capped.post('m-cc'), capped.post('m-cc')];
      await waitFor(() => Promise.resolve(seenBy(upstream, 'cc-slow').length === 2), 10_000);

      await expectRefused(await capped.post('m-cc'), /2 requests in flight/);
      // Another key is not held back by this one.
      const other = (await createKey(capped.gw.url, capped.env.adminKey)).key;
      const beside = postAs(other, 'm-cc');

      for (const res of await Promise.all([...held, beside])) {
        expect(res.status).toBe(200);
        await capped.text(res);
      }
      expect(seenBy(upstream, 'cc-slow')).toHaveLength(3);
      upstream.setBehaviour('cc-slow', { kind: 'ok' });
      expect((await capped.post('m-cc')).status).toBe(200);
    });

    it('holds a key to its own max_concurrent, which the admin API sets and shows', async () => {
      const admin = capped.env.adminKey;
      await request(capped.gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .send({ max_concurrent: 0 })
        .expect(400);
      const one = await createKey(capped.gw.url, admin, { max_concurrent: 1 });
      expect(one.max_concurrent).toBe(1);
      await capped.addAccount('cc-one', ['m-one']);
      upstream.setBehaviour('cc-one', { kind: 'ok', delayMs: 1_000 });

      const first = postAs(one.key, 'm-one');
      await waitFor(() => Promise.resolve(seenBy(upstream, 'cc-one').length === 1), 10_000);
      await expectRefused(await postAs(one.key, 'm-one'), /1 requests in flight/);
      expect((await first).status).toBe(200);

      // The worker frees the slot with its answer, before the answer is published: one request
      // after another is never refused, JSON or stream, and the key's set is left empty.
      upstream.setBehaviour('cc-one', { kind: 'ok' });
      for (const extra of [{}, { stream: true }, {}, { stream: true }, {}]) {
        const res = await postAs(one.key, 'm-one', extra);
        expect(res.status).toBe(200);
        await capped.text(res);
      }
      const redis = new Redis(capped.env.env.REDIS_URL ?? '');
      try {
        const prefix = capped.env.env.REDIS_KEY_PREFIX ?? '';
        // An emptied set is gone: none is left for this key or any address.
        expect(await redis.keys(slotSetKey(prefix, 'inflight:key', '*'))).toEqual([]);
        expect(await redis.keys(slotSetKey(prefix, 'streams:ip', '*'))).toEqual([]);
      } finally {
        redis.disconnect();
      }
    });

    it('refuses an address its streams beyond STREAMS_MAX_PER_IP, whatever keys it uses', async () => {
      await capped.addAccount('cc-stream', ['m-stream']);
      upstream.setBehaviour('cc-stream', { kind: 'ok', chunks: 15, chunkIntervalMs: 100 });
      const keys = await Promise.all(
        [1, 2, 3].map(async () => (await createKey(capped.gw.url, capped.env.adminKey)).key),
      );
      const [a, b, c] = keys as [string, string, string];
      const open = [
        postAs(a, 'm-stream', { stream: true }),
        postAs(b, 'm-stream', { stream: true }),
      ];
      await waitFor(() => Promise.resolve(seenBy(upstream, 'cc-stream').length === 2), 10_000);

      await expectRefused(await postAs(c, 'm-stream', { stream: true }), /2 streams open/);
      // A JSON request from the same address is not a stream.
      const json = await postAs(c, 'm-stream');
      expect(json.status).toBe(200);
      await capped.text(json);
      for (const res of await Promise.all(open)) {
        expect(res.status).toBe(200);
        expect(await capped.text(res)).toContain('[DONE]');
      }
      const again = await postAs(c, 'm-stream', { stream: true });
      expect(again.status).toBe(200);
      await capped.text(again);
    });
  });

  describe('when the worker running a request dies and its client then leaves', () => {
    let stack: Stack;
    let taker: SpawnedApp | undefined;

    beforeAll(async () => {
      // A dead worker's lock lapses within two seconds; the stalled check runs as often.
      stack = await startStack(upstream, { PROXY_JOB_LOCK_MS: '2000' });
    }, 45_000);

    afterAll(async () => {
      await taker?.stop();
      await stack?.stop();
    }, 30_000);

    it('ends the job on the worker that takes it over, without calling upstream again', async () => {
      await stack.addAccount('orphan', ['m-orphan']);
      upstream.setBehaviour('orphan', { kind: 'hang' });
      const client = new AbortController();
      const pending = fetch(`${stack.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.clientKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model: 'm-orphan', messages: [{ role: 'user', content: 'hi' }] }),
        signal: client.signal,
      }).catch((err: Error) => err);
      await waitFor(() => Promise.resolve(seenBy(upstream, 'orphan').length === 1), 10_000);

      // Another worker starts, then the first dies mid-call. Its lock (renewed every second)
      // outlives it by one to two seconds, so the gateway cannot remove the job when the client
      // leaves at once: the cancellation reaches `taker` only as a broadcast, before the job
      // does (once the lock lapses and taker's stalled check takes the job over).
      taker = await spawnWorker(stack.env.env);
      stack.worker.child.kill('SIGKILL');
      await stack.worker.exited;
      client.abort();
      expect(await pending).toMatchObject({ name: 'AbortError' });

      const redis = new Redis(stack.env.env.REDIS_URL ?? '');
      try {
        // The job's key: `<prefix>:proxy:<the gateway's request id>`, the queue's only job.
        const jobKeys = async () =>
          (await redis.keys(`${bullPrefix(stack.env.redisPrefix)}:${QueueName.proxy}:*`)).filter(
            (key) => /:[0-9a-f]{8}-[0-9a-f-]{27}$/.test(key),
          );
        expect(await jobKeys()).toHaveLength(1);
        // Taken over and ended (a completed proxy job is deleted): not left to hang upstream.
        await waitFor(
          async () => (await jobKeys()).length === 0,
          10_000,
          () => taker!.output(),
        );
      } finally {
        redis.disconnect();
      }
      expect(seenBy(upstream, 'orphan')).toHaveLength(1);
    }, 40_000);
  });
});
