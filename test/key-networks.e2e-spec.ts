import type { Queue } from 'bullmq';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { auditQueue, queuedAuditEvents } from './support/audit-kit.js';
import { type SpawnedApp, spawnGateway, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * A key's network allowlist (`allowed_ips`): requests from elsewhere are refused with 403 and
 * audited as key.ip_denied. The client address is the one the trusted proxy forwarded, never the
 * proxy's own; exact addresses, IPv4 ranges and IPv6 /64s are matched.
 */
describe('per-key IP allowlists', () => {
  let env: TestEnv;
  let gw: SpawnedApp & { url: string };
  let direct: SpawnedApp & { url: string };
  let admin: string;
  let audit: Queue;

  beforeAll(async () => {
    env = await createTestEnv();
    admin = env.adminKey;
    // One gateway behind a trusted proxy (this test, on loopback), one without.
    gw = await spawnGateway({ ...env.env, TRUSTED_PROXIES: '127.0.0.1' });
    direct = await spawnGateway(env.env);
    audit = auditQueue(env.redisPrefix);
  });

  afterAll(async () => {
    await audit?.close();
    await gw?.stop();
    await direct?.stop();
    await env?.cleanup();
  });

  const me = (url: string, key: string, from?: string) => {
    const req = request(url).get('/api/v1/me').set('x-api-key', key);
    return from ? req.set('X-Forwarded-For', from) : req;
  };

  /** The key's queued key.ip_denied events (no audit app runs here: they wait in the queue). */
  async function deniedEvents(keyId: string): Promise<{ ip: string }[]> {
    return (await queuedAuditEvents(audit))
      .filter((event) => event.type === 'key.ip_denied' && event.key_id === keyId)
      .map((event) => ({ ip: event.request?.ip ?? '' }));
  }

  it('admits a listed address and refuses any other with 403, audited', async () => {
    const { key, id } = await createKey(gw.url, admin, {
      allowed_ips: ['203.0.113.7', '198.51.100.0/24'],
    });
    await me(gw.url, key, '203.0.113.7').expect(200);
    await me(gw.url, key, '198.51.100.200').expect(200);
    const refused = await me(gw.url, key, '203.0.113.8').expect(403);
    expect(refused.body.error).toMatchObject({
      type: 'permission_denied',
      message: 'This key may not be used from this address',
    });
    // Events are queued in small batches: wait for this one.
    await waitFor(async () => (await deniedEvents(id)).length > 0, 5_000);
    expect(await deniedEvents(id)).toEqual([{ ip: '203.0.113.8' }]);
  });

  it('refuses a proxied call from elsewhere too', async () => {
    const { key } = await createKey(gw.url, admin, { allowed_ips: ['203.0.113.7'] });
    const res = await request(gw.url)
      .post('/v1/chat/completions')
      .set('Authorization', `Bearer ${key}`)
      .set('X-Forwarded-For', '192.0.2.1')
      .send({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .expect(403);
    expect(res.body.error.type).toBe('permission_denied');
  });

  it('matches IPv6 by exact address and by /64', async () => {
    const { key } = await createKey(gw.url, admin, {
      allowed_ips: ['2001:db8:1:2::/64', '2001:db8::5'],
    });
    await me(gw.url, key, '2001:db8:1:2:abcd::1').expect(200);
    await me(gw.url, key, '2001:db8::5').expect(200);
    await me(gw.url, key, '2001:db8:1:3::1').expect(403);
    await me(gw.url, key, '2001:db8::6').expect(403);
  });

  it("checks the client's address, not the proxy's, and believes no header from an untrusted peer", async () => {
    // Only the proxy's address is listed: a forwarded client from elsewhere is refused.
    const { key } = await createKey(gw.url, admin, { allowed_ips: ['127.0.0.1'] });
    await me(gw.url, key, '203.0.113.7').expect(403);
    await me(gw.url, key).expect(200);
    // Without a trusted proxy, a forged header does not get a listed address in.
    const listed = await createKey(direct.url, admin, { allowed_ips: ['203.0.113.7'] });
    await me(direct.url, listed.key, '203.0.113.7').expect(403);
  });

  it('shows the list to the admin and to the key, and applies a change at once', async () => {
    const { key, id } = await createKey(gw.url, admin, {
      allowed_ips: [' 203.0.113.7 ', '203.0.113.7'],
    });
    const mine = await me(gw.url, key, '203.0.113.7').expect(200);
    expect(mine.body.allowed_ips).toEqual(['203.0.113.7']);
    await me(gw.url, key, '192.0.2.9').expect(403);
    const patched = await request(gw.url)
      .patch(`/api/v1/admin/keys/${id}`)
      .set('x-api-key', admin)
      .send({ allowed_ips: [] })
      .expect(200);
    expect(patched.body.allowed_ips).toEqual([]);
    // Every address again, without waiting for the key cache to expire.
    await me(gw.url, key, '192.0.2.9').expect(200);
  });

  it.each([['300.1.1.1'], ['example.com'], ['10.0.0.0/33'], ['2001:db8::/129'], [7]])(
    'refuses %j as an allowed_ips entry with 400',
    async (entry) => {
      const res = await request(gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .send({ name: 'bad', allowed_ips: [entry] })
        .expect(400);
      expect(res.body.error.type).toBe('invalid_request');
      expect(res.body.error.message).toContain('allowed_ips');
    },
  );
});
