import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import request from 'supertest';
import {
  type CredentialBinding,
  generateCredentialKeyPair,
  openAccountCredential,
  parsePrivateKeyring,
} from '@gatehouse/crypto';
import { createKey } from './support/admin-client.js';
import { type SpawnedApp, spawnApp, spawnGateway } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import type { ErrorBody } from '../apps/gateway/src/http/error-body.js';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

type AccountBody = {
  id: string;
  name: string;
  provider: string;
  base_url: string;
  models: string[];
  weight: number;
  priority: number;
  status: string;
  credential_set: boolean;
  credential_key_id: string;
  [field: string]: unknown;
};

/** A credential-shaped secret, made up per run. */
function fakeCredential(): string {
  return `sk-test-${randomBytes(24).toString('base64url')}`;
}

describe('admin upstream accounts API', () => {
  const pair = generateCredentialKeyPair();
  let env: TestEnv;
  let gw: SpawnedApp & { url: string };
  let admin: string;
  let db: pg.Client;
  /** Every credential posted in this suite: none may come back in a body or a log line. */
  const posted: string[] = [];
  /** Every response body seen, checked against `posted` at the end. */
  const bodies: string[] = [];

  const api = () => ({
    get: (path: string) => request(gw.url).get(path).set('x-api-key', admin),
    post: (path: string) => request(gw.url).post(path).set('x-api-key', admin),
    patch: (path: string) => request(gw.url).patch(path).set('x-api-key', admin),
    delete: (path: string) => request(gw.url).delete(path).set('x-api-key', admin),
  });

  const asAccount = (res: { body: unknown }) => res.body as AccountBody;
  const error = (res: { body: unknown }) => (res.body as ErrorBody).error;

  function seen<T extends { text: string }>(res: T): T {
    bodies.push(res.text);
    return res;
  }

  async function createAccount(body: Record<string, unknown> = {}): Promise<AccountBody> {
    const credential = fakeCredential();
    posted.push(credential);
    const res = seen(
      await api()
        .post('/api/v1/admin/accounts')
        .send({
          name: 'primary',
          provider: 'openai',
          base_url: 'https://api.openai.example/v1',
          credential,
          ...body,
        }),
    );
    if (res.status !== 201) {
      throw new Error(`account creation failed: ${res.status} ${res.text}`);
    }
    return res.body as AccountBody;
  }

  async function sealedRow(
    id: string,
  ): Promise<{ sealed: string; kid: string; binding: CredentialBinding }> {
    const { rows } = await db.query<{
      sealed_credential: string;
      credential_key_id: string;
      provider: string;
      base_url: string;
    }>(
      `SELECT sealed_credential, credential_key_id, provider, base_url
         FROM upstream_accounts WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) throw new Error(`no row for ${id}`);
    return {
      sealed: row.sealed_credential,
      kid: row.credential_key_id,
      binding: { id, provider: row.provider, baseUrl: row.base_url },
    };
  }

  beforeAll(async () => {
    env = await createTestEnv({ LOG_LEVEL: 'info', CREDENTIALS_PUBLIC_KEY: pair.publicKey });
    admin = env.adminKey;
    gw = await spawnGateway(env.env);
    db = new pg.Client({ connectionString: env.database.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await gw?.stop();
    await env?.cleanup();
  });

  it('creates an account whose credential is sealed for that account only', async () => {
    const credential = fakeCredential();
    posted.push(credential);
    const res = seen(
      await api()
        .post('/api/v1/admin/accounts')
        .send({
          name: 'openai main',
          provider: 'openai',
          base_url: 'https://api.openai.example/v1/',
          credential,
          models: ['gpt-4o', 'gpt-4o', 'gpt-4o-mini'],
          weight: 5,
          priority: 10,
        })
        .expect(201),
    );
    const account = res.body as AccountBody;
    expect(account).toMatchObject({
      name: 'openai main',
      provider: 'openai',
      base_url: 'https://api.openai.example/v1',
      models: ['gpt-4o', 'gpt-4o-mini'],
      weight: 5,
      priority: 10,
      status: 'active',
      credential_set: true,
      credential_key_id: pair.kid,
    });
    expect(account.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(account)).not.toContain('credential');
    expect(res.text).not.toMatch(/sealed/i);

    const { sealed, kid, binding } = await sealedRow(account.id);
    expect(kid).toBe(pair.kid);
    expect(sealed.startsWith(`v2.${pair.kid}.`)).toBe(true);
    expect(sealed).not.toContain(credential);
    const keyring = parsePrivateKeyring(pair.privateKey);
    expect(openAccountCredential(sealed, keyring, binding)).toEqual({
      plaintext: credential,
      bound: true,
    });
    // Bound to its account, provider and origin: it opens as nothing else.
    for (const other of [
      { ...binding, id: randomUUID() },
      { ...binding, provider: 'anthropic' },
      { ...binding, baseUrl: 'https://elsewhere.example/v1' },
    ]) {
      expect(() => openAccountCredential(sealed, keyring, other)).toThrow();
    }
  });

  it('applies defaults, and lists with a cursor', async () => {
    const a = await createAccount({ name: 'anthropic', provider: 'anthropic' });
    expect(a).toMatchObject({ models: [], weight: 1, priority: 0, status: 'active' });
    await createAccount({ name: 'local', base_url: 'http://ollama:11434/v1', status: 'paused' });
    await createAccount({ name: 'third' });

    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res = seen(
        await api()
          .get('/api/v1/admin/accounts')
          .query(cursor ? { limit: 2, cursor } : { limit: 2 })
          .expect(200),
      );
      const page = res.body as { data: AccountBody[]; next_cursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(2);
      ids.push(...page.data.map((x) => x.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(ids).size).toBe(ids.length);
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM upstream_accounts');
    expect(ids.length).toBe(Number(rows[0]?.n));
    expect(ids).toContain(a.id);

    seen(await api().get('/api/v1/admin/accounts').query({ cursor: 'nonsense' }).expect(400));
  });

  it('gets, patches, pauses, resumes and deletes', async () => {
    const account = await createAccount();
    const got = seen(await api().get(`/api/v1/admin/accounts/${account.id}`).expect(200));
    expect(got.body).toEqual(account);

    const patched = seen(
      await api()
        .patch(`/api/v1/admin/accounts/${account.id}`)
        .send({ name: 'renamed', models: ['gpt-4.1'], weight: 1000, priority: -1 })
        .expect(200),
    );
    expect(patched.body).toMatchObject({
      name: 'renamed',
      models: ['gpt-4.1'],
      weight: 1000,
      priority: -1,
      provider: 'openai',
    });
    const before = await sealedRow(account.id);

    const replacement = fakeCredential();
    posted.push(replacement);
    seen(
      await api()
        .patch(`/api/v1/admin/accounts/${account.id}`)
        .send({ credential: replacement })
        .expect(200),
    );
    const after = await sealedRow(account.id);
    expect(after.sealed).not.toBe(before.sealed);
    expect(
      openAccountCredential(after.sealed, parsePrivateKeyring(pair.privateKey), after.binding)
        .plaintext,
    ).toBe(replacement);

    const paused = seen(await api().post(`/api/v1/admin/accounts/${account.id}/pause`).expect(200));
    expect(asAccount(paused).status).toBe('paused');
    const resumed = seen(
      await api().post(`/api/v1/admin/accounts/${account.id}/resume`).expect(200),
    );
    expect(asAccount(resumed).status).toBe('active');

    const deleted = await api().delete(`/api/v1/admin/accounts/${account.id}`).expect(204);
    expect(deleted.text).toBe('');
    seen(await api().get(`/api/v1/admin/accounts/${account.id}`).expect(404));
    seen(await api().delete(`/api/v1/admin/accounts/${account.id}`).expect(404));
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = randomUUID();
    for (const res of [
      await api().get(`/api/v1/admin/accounts/${unknown}`),
      await api().patch(`/api/v1/admin/accounts/${unknown}`).send({ name: 'x' }),
      await api().post(`/api/v1/admin/accounts/${unknown}/pause`),
      await api().post(`/api/v1/admin/accounts/${unknown}/resume`),
      await api().delete(`/api/v1/admin/accounts/${unknown}`),
    ]) {
      seen(res);
      expect(res.status).toBe(404);
      expect((res.body as { error: { type: string } }).error.type).toBe('not_found');
    }
    seen(await api().get('/api/v1/admin/accounts/not-a-uuid').expect(400));
  });

  it('validates input: unknown fields, provider, URL, credential, numbers, nulls', async () => {
    const valid = {
      name: 'v',
      provider: 'openai',
      base_url: 'https://api.example.com/v1',
      credential: fakeCredential(),
    };
    posted.push(valid.credential);
    const invalid: Record<string, unknown>[] = [
      { ...valid, api_key: 'extra' },
      { ...valid, provider: 'gemini' },
      { ...valid, base_url: 'ftp://files.example.com' },
      { ...valid, base_url: 'not a url' },
      { ...valid, base_url: 'https://user:pw@api.example.com' },
      { ...valid, base_url: `https://example.com/${'a'.repeat(500)}` },
      { ...valid, credential: '' },
      { ...valid, credential: 'x'.repeat(10_001) },
      { ...valid, credential: `${fakeCredential()}\r\nX-Injected: 1` },
      { ...valid, weight: 0 },
      { ...valid, weight: 1001 },
      { ...valid, weight: 1.5 },
      { ...valid, status: 'deleted' },
      { ...valid, models: 'gpt-4o' },
      { ...valid, name: null },
      { name: 'missing credential', provider: 'openai', base_url: valid.base_url },
    ];
    for (const body of invalid) {
      const res = seen(await api().post('/api/v1/admin/accounts').send(body));
      expect([res.status, body]).toEqual([400, body]);
      expect((res.body as { error: { type: string } }).error.type).toBe('invalid_request');
    }
    // A rejected credential is not echoed by the validation message either.
    const bad = `${fakeCredential()}\nsecond-line`;
    posted.push(bad);
    const rejected = seen(
      await api()
        .post('/api/v1/admin/accounts')
        .send({ ...valid, credential: bad }),
    );
    expect(rejected.status).toBe(400);

    const account = await createAccount();
    for (const body of [
      { provider: 'anthropic' },
      { sealed_credential: 'v1.x' },
      { credential_key_id: 'k' },
      { base_url: 'javascript:alert(1)' },
      { name: null },
      { weight: null },
      { credential: '' },
    ]) {
      const res = seen(await api().patch(`/api/v1/admin/accounts/${account.id}`).send(body));
      expect([res.status, body]).toEqual([400, body]);
    }
  });

  it('is admin-only: 401 without a key, 403 with a client key', async () => {
    const { key } = await createKey(gw.url, admin);
    const noKey = seen(await request(gw.url).get('/api/v1/admin/accounts').expect(401));
    expect(error(noKey).type).toBe('authentication_error');
    const client = seen(
      await request(gw.url).get('/api/v1/admin/accounts').set('x-api-key', key).expect(403),
    );
    expect(error(client).type).toBe('permission_denied');
    const credential = fakeCredential();
    posted.push(credential);
    seen(
      await request(gw.url)
        .post('/api/v1/admin/accounts')
        .set('Authorization', `Bearer ${key}`)
        .send({ name: 'x', provider: 'openai', base_url: 'https://a.example', credential })
        .expect(403),
    );
    const { rows } = await db.query("SELECT 1 FROM upstream_accounts WHERE name = 'x'");
    expect(rows).toHaveLength(0);
  });

  it('answers 503 for credential writes when the gateway has no public key', async () => {
    const existing = await createAccount({ name: 'before' });
    const bare = await spawnGateway({ ...env.env, CREDENTIALS_PUBLIC_KEY: '' });
    try {
      const credential = fakeCredential();
      posted.push(credential);
      const created = seen(
        await request(bare.url)
          .post('/api/v1/admin/accounts')
          .set('x-api-key', admin)
          .send({ name: 'n', provider: 'openai', base_url: 'https://a.example', credential })
          .expect(503),
      );
      expect(error(created).type).toBe('service_unavailable');
      expect(error(created).message).toContain('CREDENTIALS_PUBLIC_KEY');
      const patched = seen(
        await request(bare.url)
          .patch(`/api/v1/admin/accounts/${existing.id}`)
          .set('x-api-key', admin)
          .send({ credential, name: 'not applied' })
          .expect(503),
      );
      expect(error(patched).message).toContain('CREDENTIALS_PUBLIC_KEY');
      // Everything that does not touch a credential still works.
      const renamed = seen(
        await request(bare.url)
          .patch(`/api/v1/admin/accounts/${existing.id}`)
          .set('x-api-key', admin)
          .send({ name: 'after' })
          .expect(200),
      );
      expect(asAccount(renamed).name).toBe('after');
      expect(bare.output()).not.toContain(credential);
    } finally {
      await bare.stop();
    }
  });

  it('refuses to start with a malformed public key, without echoing it', async () => {
    const broken = `${pair.kid}:${pair.publicKey.split(':')[1]?.slice(0, -8)}`;
    const app = spawnApp('gateway', { ...env.env, PORT: '0', CREDENTIALS_PUBLIC_KEY: broken });
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      app.exited,
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 20_000))),
    ]);
    clearTimeout(timer);
    if (code === 'timeout') await app.stop();
    expect(code).toBe(78); // EX_CONFIG, from the config check, not a framework error
    expect(app.output()).toContain('CREDENTIALS_PUBLIC_KEY is not a valid key');
    expect(app.output()).not.toContain(broken.slice(pair.kid.length + 1, pair.kid.length + 30));
  });

  it('re-seals every credential under a new key with the reseal command', async () => {
    const next = generateCredentialKeyPair();
    const { rows: before } = await db.query<{ id: string }>(
      'SELECT id FROM upstream_accounts ORDER BY id',
    );
    expect(before.length).toBeGreaterThan(0);
    const plaintexts = new Map<string, string>();
    const oldRing = parsePrivateKeyring(pair.privateKey);
    for (const { id } of before) {
      const { sealed, binding } = await sealedRow(id);
      plaintexts.set(id, openAccountCredential(sealed, oldRing, binding).plaintext);
    }

    const cliEnv = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      DATABASE_URL: env.env.DATABASE_URL ?? '',
      REDIS_URL: env.env.REDIS_URL ?? '',
      ADMIN_API_KEY: admin,
      KEY_PEPPER: env.env.KEY_PEPPER ?? '',
      CREDENTIALS_PUBLIC_KEY: next.publicKey,
    };
    const script = resolve(ROOT, 'dist/scripts/reseal-credentials.js');

    // A keyring that cannot open the current credentials changes nothing.
    const wrong = generateCredentialKeyPair();
    const failed = await run(process.execPath, [script], {
      cwd: ROOT,
      env: { ...cliEnv, CREDENTIALS_PRIVATE_KEYS: `${wrong.privateKey},${next.privateKey}` },
    }).then(
      () => null,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('nothing was changed');
    for (const { id } of before) expect((await sealedRow(id)).kid).toBe(pair.kid);

    const out = await run(process.execPath, [script], {
      cwd: ROOT,
      env: { ...cliEnv, CREDENTIALS_PRIVATE_KEYS: `${pair.privateKey},${next.privateKey}` },
    });
    expect(out.stdout).toContain(`re-sealed ${before.length} of ${before.length}`);
    for (const secret of posted) expect(out.stdout + out.stderr).not.toContain(secret);

    const newRing = parsePrivateKeyring(next.privateKey);
    for (const { id } of before) {
      const { sealed, kid, binding } = await sealedRow(id);
      expect(kid).toBe(next.kid);
      expect(sealed.startsWith(`v2.${next.kid}.`)).toBe(true);
      expect(openAccountCredential(sealed, newRing, binding).plaintext).toBe(plaintexts.get(id));
      expect(() => openAccountCredential(sealed, oldRing, binding)).toThrow();
    }
    const view = seen(await api().get(`/api/v1/admin/accounts/${before[0]?.id}`).expect(200));
    expect(asAccount(view).credential_key_id).toBe(next.kid);

    // Running it again finds nothing to do.
    const again = await run(process.execPath, [script], {
      cwd: ROOT,
      env: { ...cliEnv, CREDENTIALS_PRIVATE_KEYS: next.privateKey },
    });
    expect(again.stdout).toContain(`re-sealed 0 of ${before.length}`);
  });

  it('never returned or logged a credential', async () => {
    // Let the last log lines flush.
    await new Promise((r) => setTimeout(r, 200));
    const output = gw.output();
    expect(output).toContain('upstream account'); // the log was on and captured
    expect(posted.length).toBeGreaterThan(5);
    for (const secret of posted) {
      for (const body of bodies) expect(body).not.toContain(secret);
      for (const line of output.split('\n')) expect(line).not.toContain(secret);
    }
    const { rows } = await db.query<{ sealed_credential: string }>(
      'SELECT sealed_credential FROM upstream_accounts',
    );
    for (const { sealed_credential } of rows) {
      expect(output).not.toContain(sealed_credential);
      for (const body of bodies) expect(body).not.toContain(sealed_credential);
    }
  });
});
