import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { type SpawnedApp, spawnGateway } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/** Bad input is a 400 in the gateway's error shape, never a 500 or a crash. */
describe('hostile request bodies', () => {
  let env: TestEnv;
  let gw: SpawnedApp & { url: string };
  let admin: string;
  let clientKey: string;

  beforeAll(async () => {
    env = await createTestEnv();
    admin = env.adminKey;
    gw = await spawnGateway(env.env);
    clientKey = (await createKey(gw.url, admin)).key;
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await env?.cleanup();
  });

  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it.each([
    ['an admin DTO', '/api/v1/admin/keys', 'admin', (deep: string) => `{"name":"n","x":${deep}}`],
    [
      'a proxy body',
      '/v1/chat/completions',
      'client',
      (deep: string) => `{"model":"m","messages":[{"role":"user","content":${deep}}]}`,
    ],
    [
      'an async job',
      '/api/v1/jobs',
      'client',
      (deep: string) => `{"endpoint":"chat.completions","body":{"model":"m","messages":${deep}}}`,
    ],
  ])('refuses 10,000 levels of nesting in %s with 400', async (_name, path, who, body) => {
    const res = await request(gw.url)
      .post(path)
      .set('x-api-key', who === 'admin' ? admin : clientKey)
      .set('Content-Type', 'application/json')
      .send(body(nested(10_000)));
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('invalid_request');
    // The gateway is still there.
    await request(gw.url).get('/health').expect(200);
  });

  it.each([
    ['a NUL character', '"a\\u0000b"'],
    ['a lone high surrogate', '"a\\ud800b"'],
    ['a lone low surrogate', '"\\udc00"'],
  ])('refuses %s in a stored string with 400 naming the field', async (_name, json) => {
    const res = await request(gw.url)
      .post('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .set('Content-Type', 'application/json')
      .send(`{"name":${json}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('invalid_request');
    expect(res.body.error.message).toMatch(/^body\.name contains a NUL character/);
    const account = await request(gw.url)
      .post('/api/v1/admin/accounts')
      .set('x-api-key', admin)
      .set('Content-Type', 'application/json')
      .send(
        `{"name":"acct","provider":"openai","base_url":"https://api.example.com/v1","credential":"sk-${'x'.repeat(24)}","models":[${json}]}`,
      );
    expect(account.status).toBe(400);
  });

  it('keeps a paired surrogate (an emoji) as ordinary text', async () => {
    const res = await request(gw.url)
      .post('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .set('Content-Type', 'application/json')
      .send('{"name":"team \\ud83d\\ude80"}');
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('team \u{1F680}');
  });
});
