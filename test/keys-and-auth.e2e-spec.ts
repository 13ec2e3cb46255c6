import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { type SpawnedApp, spawnGateway } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

describe('admin keys API and client authentication', () => {
  let env: TestEnv;
  let gw: SpawnedApp & { url: string };
  let admin: string;

  beforeAll(async () => {
    env = await createTestEnv();
    admin = env.adminKey;
    gw = await spawnGateway(env.env);
  });

  afterAll(async () => {
    await gw?.stop();
    await env?.cleanup();
  });

  it('creates a key that is shown once and never returns a hash', async () => {
    const created = await createKey(gw.url, admin, {
      name: 'ci',
      allowed_models: ['gpt-4o'],
      requests_per_minute: 30,
      tokens_per_day: 1000,
    });
    expect(created.key).toMatch(/^gk_[0-9a-f]{8}_[A-Za-z0-9]{40}$/);
    expect(created.prefix).toBe(created.key.slice(0, 11));
    expect(created).toMatchObject({
      name: 'ci',
      allowed_models: ['gpt-4o'],
      requests_per_minute: 30,
      status: 'active',
    });

    const got = await request(gw.url)
      .get(`/api/v1/admin/keys/${created.id}`)
      .set('x-api-key', admin)
      .expect(200);
    const list = await request(gw.url)
      .get('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .expect(200);
    for (const body of [got.body, list.body]) {
      const text = JSON.stringify(body);
      expect(text).not.toContain(created.key);
      expect(text).not.toMatch(/hash/i);
    }
    expect(got.body.key).toBeUndefined();
    expect((list.body.data as { id: string }[]).map((k) => k.id)).toContain(created.id);
  });

  it('accepts a client key as x-api-key and as a Bearer token', async () => {
    const { key, id } = await createKey(gw.url, admin);
    const viaHeader = await request(gw.url).get('/api/v1/me').set('x-api-key', key).expect(200);
    const viaBearer = await request(gw.url)
      .get('/api/v1/me')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    expect(viaHeader.body.key_id).toBe(id);
    expect(viaBearer.body.key_id).toBe(id);
  });

  it('refuses two different credentials in one request with 400, a wrong one beside a right one included', async () => {
    const { key } = await createKey(gw.url, admin);
    const wrong = `gk_00000000_${'x'.repeat(40)}`;
    // A valid Bearer key beside a wrong x-api-key used to pass, the wrong key never counted.
    const both = await request(gw.url)
      .get('/api/v1/me')
      .set('x-api-key', wrong)
      .set('Authorization', `Bearer ${key}`);
    expect(both.status).toBe(400);
    expect(both.body.error.type).toBe('invalid_request');
    expect(JSON.stringify(both.body)).not.toContain(key);
    await request(gw.url)
      .get('/api/v1/me')
      .set('x-api-key', key)
      .set('Authorization', `Bearer ${wrong}`)
      .expect(400);
    // The same key in both headers is one credential.
    await request(gw.url)
      .get('/api/v1/me')
      .set('x-api-key', key)
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
  });

  it('takes the admin key only as it is: not changed, cut short or extended', async () => {
    await request(gw.url).get('/api/v1/admin/keys').set('x-api-key', admin).expect(200);
    const last = admin.slice(-1) === 'a' ? 'b' : 'a';
    for (const near of [
      `${admin.slice(0, -1)}${last}`,
      admin.slice(0, -1),
      `${admin}a`,
      ` ${admin}x`,
    ]) {
      const res = await request(gw.url).get('/api/v1/admin/keys').set('x-api-key', near);
      expect([near === admin, res.status]).toEqual([false, 401]);
    }
  });

  it('keeps client and admin keys strictly apart', async () => {
    const { key } = await createKey(gw.url, admin);
    const noKey = await request(gw.url).get('/api/v1/admin/keys').expect(401);
    expect(noKey.body.error.type).toBe('authentication_error');
    const clientOnAdmin = await request(gw.url)
      .get('/api/v1/admin/keys')
      .set('x-api-key', key)
      .expect(403);
    expect(clientOnAdmin.body.error.type).toBe('permission_denied');
    await request(gw.url)
      .get('/api/v1/admin/keys')
      .set('Authorization', `Bearer ${key}`)
      .expect(403);
    await request(gw.url).get('/api/v1/me').set('x-api-key', admin).expect(401);
    await request(gw.url).get('/api/v1/me').set('Authorization', `Bearer ${admin}`).expect(401);
    await request(gw.url).get('/api/v1/me').expect(401);
    await request(gw.url)
      .get('/api/v1/me')
      .set('x-api-key', `${key.slice(0, -1)}x`)
      .expect(401);
  });

  it('rejects revoked keys with 401', async () => {
    const { key, id } = await createKey(gw.url, admin);
    await request(gw.url).get('/api/v1/me').set('x-api-key', key).expect(200); // now cached
    const revoked = await request(gw.url)
      .post(`/api/v1/admin/keys/${id}/revoke`)
      .set('x-api-key', admin)
      .expect(200);
    expect(revoked.body.status).toBe('revoked');
    await request(gw.url).get('/api/v1/me').set('x-api-key', key).expect(401);
    await request(gw.url)
      .post(`/api/v1/admin/keys/${id}/rotate`)
      .set('x-api-key', admin)
      .send({})
      .expect(400);
  });

  it('rejects expired keys with 401', async () => {
    const { key, id } = await createKey(gw.url, admin, {
      expires_at: new Date(Date.now() + 1500).toISOString(),
    });
    await request(gw.url).get('/api/v1/me').set('x-api-key', key).expect(200);
    await new Promise((r) => setTimeout(r, 1700));
    await request(gw.url).get('/api/v1/me').set('x-api-key', key).expect(401);
    const view = await request(gw.url)
      .get(`/api/v1/admin/keys/${id}`)
      .set('x-api-key', admin)
      .expect(200);
    expect(view.body.status).toBe('expired');
  });

  it('rotates a key: new secret works, old one only during the grace period', async () => {
    const original = await createKey(gw.url, admin);
    const rotated = await request(gw.url)
      .post(`/api/v1/admin/keys/${original.id}/rotate`)
      .set('x-api-key', admin)
      .send({ grace_seconds: 2 })
      .expect(200);
    expect(rotated.body.key).not.toBe(original.key);
    expect(rotated.body.id).toBe(original.id);
    expect(rotated.body.previous_secret_expires_at).not.toBeNull();
    await request(gw.url)
      .get('/api/v1/me')
      .set('x-api-key', rotated.body.key as string)
      .expect(200);
    await request(gw.url).get('/api/v1/me').set('x-api-key', original.key).expect(200);
    await new Promise((r) => setTimeout(r, 2300));
    await request(gw.url).get('/api/v1/me').set('x-api-key', original.key).expect(401);
    await request(gw.url)
      .get('/api/v1/me')
      .set('x-api-key', rotated.body.key as string)
      .expect(200);
  });

  it('rotation without grace invalidates the old secret at once', async () => {
    const original = await createKey(gw.url, admin);
    await request(gw.url).get('/api/v1/me').set('x-api-key', original.key).expect(200);
    await request(gw.url)
      .post(`/api/v1/admin/keys/${original.id}/rotate`)
      .set('x-api-key', admin)
      .expect(200);
    await request(gw.url).get('/api/v1/me').set('x-api-key', original.key).expect(401);
  });

  it('patches limits and models, and clears them with null', async () => {
    const { id, key } = await createKey(gw.url, admin, { requests_per_minute: 5 });
    const patched = await request(gw.url)
      .patch(`/api/v1/admin/keys/${id}`)
      .set('x-api-key', admin)
      .send({ allowed_models: ['claude-sonnet'], requests_per_minute: null, name: 'renamed' })
      .expect(200);
    expect(patched.body).toMatchObject({
      allowed_models: ['claude-sonnet'],
      requests_per_minute: null,
      name: 'renamed',
    });
    const me = await request(gw.url).get('/api/v1/me').set('x-api-key', key).expect(200);
    expect(me.body.allowed_models).toEqual(['claude-sonnet']);
  });

  it('validates admin input: unknown fields, bad values and bad ids are 400; missing keys 404', async () => {
    const unknown = await request(gw.url)
      .post('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .send({ nme: 'typo' })
      .expect(400);
    expect(unknown.body.error.message).toMatch(/nme/);
    await request(gw.url)
      .post('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .send({ requests_per_minute: 0 })
      .expect(400);
    await request(gw.url)
      .post('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .send({ allowed_models: 'gpt' })
      .expect(400);
    await request(gw.url)
      .post('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .send({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .expect(400);
    await request(gw.url).get('/api/v1/admin/keys/not-a-uuid').set('x-api-key', admin).expect(400);
    const missing = await request(gw.url)
      .get('/api/v1/admin/keys/00000000-0000-4000-8000-000000000000')
      .set('x-api-key', admin)
      .expect(404);
    expect(missing.body.error.type).toBe('not_found');
  });

  it('paginates the key list with a cursor', async () => {
    for (let i = 0; i < 3; i++) await createKey(gw.url, admin, { name: `page-${i}` });
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await request(gw.url)
        .get('/api/v1/admin/keys')
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .set('x-api-key', admin)
        .expect(200);
      for (const k of res.body.data as { id: string }[]) {
        expect(seen.has(k.id)).toBe(false);
        seen.add(k.id);
      }
      cursor = res.body.next_cursor as string | null;
      pages++;
    } while (cursor && pages < 50);
    const all = await request(gw.url)
      .get('/api/v1/admin/keys')
      .query({ limit: 200 })
      .set('x-api-key', admin);
    expect(seen.size).toBe((all.body.data as unknown[]).length);
    expect(pages).toBeGreaterThan(1);
  });
});
