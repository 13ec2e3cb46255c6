import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { dbClient } from './support/audit-kit.js';
import {
  LOOPBACK_UPSTREAM,
  type MockUpstream,
  startMockUpstream,
} from './support/mock-upstream.js';
import { type SpawnedApp, spawnGateway, spawnWorker } from './support/spawn-app.js';
import { createTestEnv, type TestEnv, credentialKeyEnv } from './support/test-env.js';

type Stack = {
  env: TestEnv;
  gw: SpawnedApp & { url: string };
  worker: SpawnedApp;
  clientKey: string;
  stop(): Promise<void>;
};

async function startStack(overrides: Record<string, string>): Promise<Stack> {
  const env = await createTestEnv({
    ...credentialKeyEnv(),
    LOG_LEVEL: 'info',
    ...overrides,
  });
  const [gw, worker] = await Promise.all([spawnGateway(env.env), spawnWorker(env.env)]);
  const clientKey = (await createKey(gw.url, env.adminKey)).key;
  return {
    env,
    gw,
    worker,
    clientKey,
    stop: async () => {
      await Promise.all([gw.stop(), worker.stop()]);
      await env.cleanup();
    },
  };
}

const credential = () => `sk-${randomBytes(24).toString('hex')}`;

function admin(stack: Stack) {
  const api = request(stack.gw.url);
  return {
    post: (path: string, body: object) =>
      api.post(path).set('x-api-key', stack.env.adminKey).send(body),
    patch: (path: string, body: object) =>
      api.patch(path).set('x-api-key', stack.env.adminKey).send(body),
  };
}

function chat(stack: Stack, model: string): Promise<Response> {
  return fetch(`${stack.gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.clientKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

/** Requests `upstream` saw for `account` that carried `secret` as their bearer credential. */
function carrying(upstream: MockUpstream, secret: string): number {
  return upstream.requests.filter((r) => r.headers.authorization === `Bearer ${secret}`).length;
}

describe('upstream credentials go only where they were entered for', () => {
  let provider: MockUpstream;
  let collector: MockUpstream;
  let stack: Stack;
  let db: pg.Client;

  beforeAll(async () => {
    [provider, collector] = await Promise.all([startMockUpstream(), startMockUpstream()]);
    stack = await startStack(LOOPBACK_UPSTREAM);
    db = await dbClient(stack.env.database.url);
  }, 45_000);

  afterAll(async () => {
    await db?.end();
    await stack?.stop();
    await Promise.all([provider?.close(), collector?.close()]);
  }, 30_000);

  it('refuses a new base_url without the credential, and takes it with the credential', async () => {
    const secret = credential();
    const created = await admin(stack)
      .post('/api/v1/admin/accounts', {
        name: 'bound',
        provider: 'openai',
        base_url: provider.openaiBase('bound'),
        credential: secret,
        models: ['m-bound'],
      })
      .expect(201);
    const id = (created.body as { id: string }).id;
    expect((await chat(stack, 'm-bound')).status).toBe(200);

    const refused = await admin(stack)
      .patch(`/api/v1/admin/accounts/${id}`, { base_url: collector.openaiBase('bound') })
      .expect(400);
    expect(refused.text).toContain('needs the credential again');
    const after = await chat(stack, 'm-bound');
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('Hello from bound');
    expect(carrying(collector, secret)).toBe(0);

    // With the credential (the operator knows it), the move is allowed.
    const next = credential();
    await admin(stack)
      .patch(`/api/v1/admin/accounts/${id}`, {
        base_url: collector.openaiBase('moved'),
        credential: next,
      })
      .expect(200);
    const moved = await chat(stack, 'm-bound');
    expect(moved.status).toBe(200);
    expect(carrying(collector, next)).toBe(1);
    expect(carrying(collector, secret)).toBe(0);
  });

  it('never opens a credential whose base_url was changed behind the API', async () => {
    const secret = credential();
    const created = await admin(stack)
      .post('/api/v1/admin/accounts', {
        name: 'tampered',
        provider: 'openai',
        base_url: provider.openaiBase('tampered'),
        credential: secret,
        models: ['m-tampered'],
      })
      .expect(201);
    const id = (created.body as { id: string }).id;
    expect((await chat(stack, 'm-tampered')).status).toBe(200);

    // Someone with database access points the account at their own host...
    await db.query('UPDATE upstream_accounts SET base_url = $1 WHERE id = $2', [
      collector.openaiBase('tampered'),
      id,
    ]);
    // ...and the worker reloads it (any admin change broadcasts one).
    await admin(stack).patch(`/api/v1/admin/accounts/${id}`, { name: 'tampered-2' }).expect(200);

    const res = await chat(stack, 'm-tampered');
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(carrying(collector, secret)).toBe(0);
    expect(stack.worker.output()).toContain(`account ${id}: credential`);
  });

  it('does not follow an upstream redirect', async () => {
    const secret = credential();
    provider.setBehaviour('redirect', {
      kind: 'status',
      status: 307,
      headers: { location: `${collector.openaiBase('redirected')}/chat/completions` },
    });
    await admin(stack)
      .post('/api/v1/admin/accounts', {
        name: 'redirect',
        provider: 'openai',
        base_url: provider.openaiBase('redirect'),
        credential: secret,
        models: ['m-redirect'],
      })
      .expect(201);
    const res = await chat(stack, 'm-redirect');
    expect(res.status).not.toBe(200);
    expect(carrying(collector, secret)).toBe(0);
  });
});

describe('the worker refuses upstreams on non-public addresses unless allowed', () => {
  let local: MockUpstream;
  let stack: Stack;

  beforeAll(async () => {
    local = await startMockUpstream();
    // No UPSTREAM_ALLOWED_HOSTS / UPSTREAM_ALLOW_PRIVATE: the product's default.
    stack = await startStack({});
  }, 45_000);

  afterAll(async () => {
    await stack?.stop();
    await local?.close();
  }, 30_000);

  it.each([
    ['a loopback address', (u: MockUpstream) => u.openaiBase('literal')],
    [
      'a name that resolves to loopback',
      (u: MockUpstream) => u.openaiBase('named').replace('127.0.0.1', 'localhost'),
    ],
  ])('refuses %s and sends it nothing', async (label, base) => {
    const secret = credential();
    const model = `m-${label.length}`;
    await admin(stack)
      .post('/api/v1/admin/accounts', {
        name: label,
        provider: 'openai',
        base_url: base(local),
        credential: secret,
        models: [model],
      })
      .expect(201);
    const res = await chat(stack, model);
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('upstream_error');
    expect(carrying(local, secret)).toBe(0);
    expect(stack.worker.output()).toContain('resolves to a non-public address');
  });
});
