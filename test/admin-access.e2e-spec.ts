import { Queue } from 'bullmq';
import request from 'supertest';
import { expectError } from './support/expect-error.js';
import { type GatewayWithKey, startGatewayWithKey } from './support/gateway-with-key.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

/** Every admin view, each of which a client key must be refused. */
const ROUTES: ['get' | 'post', string][] = [
  ['get', '/api/v1/admin/audit'],
  ['get', '/api/v1/admin/audit/verify'],
  ['get', '/api/v1/admin/audit/dead-letters'],
  ['get', '/api/v1/admin/usage'],
  ['get', '/api/v1/admin/system-health'],
  ['get', '/api/v1/admin/disk-usage'],
  ['post', '/api/v1/admin/retention/run?wait_seconds=0'],
];

const connection = (() => {
  const url = new URL(TEST_REDIS_URL);
  return { host: url.hostname, port: url.port ? Number(url.port) : 6379 };
})();

describe('admin views: who may read them', () => {
  let fx: GatewayWithKey;
  let gw: GatewayWithKey['gw'];
  let clientKey: string;
  let bullPrefix: string;

  beforeAll(async () => {
    fx = await startGatewayWithKey();
    clientKey = fx.client.key;
    bullPrefix = fx.bullPrefix;
    gw = fx.gw;
  }, 60_000);

  afterAll(async () => {
    await fx?.stop();
  }, 30_000);

  it('answers 401 without a key and 403 with a client key on every admin view', async () => {
    for (const [method, path] of ROUTES) {
      const none = await request(gw.url)[method](path);
      expect([path, none.status]).toEqual([path, 401]);
      const client = await request(gw.url)[method](path).set('x-api-key', clientKey);
      expect([path, client.status]).toEqual([path, 403]);
      expectError(client, 403, 'permission_denied');
    }
    // The refused retention runs enqueued nothing.
    const queue = new Queue('audit-maintenance', { connection, prefix: bullPrefix });
    try {
      expect(
        await queue.getJobCountByTypes('waiting', 'delayed', 'active', 'completed', 'failed'),
      ).toBe(0);
    } finally {
      await queue.close();
    }
  });
});
