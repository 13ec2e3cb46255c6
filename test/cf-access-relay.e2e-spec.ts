import {
  BroadcastEvent,
  CF_ACCESS_KEYS_REFRESH_INTERVAL_MS,
  broadcastChannel,
} from '@gatehouse/queue';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { JwksServer, signAccessToken, signingKey } from './support/cf-access-kit.js';
import { type SpawnedApp, spawnApp, spawnGateway, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { LOOPBACK_UPSTREAM } from './support/mock-upstream.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

/**
 * CF_ACCESS_JWKS_SOURCE=relay, as compose runs it: the gateway has no route out, so proxy-worker
 * fetches the Access signing keys and shares them through Redis.
 */
const TEAM = 'gatehouse-relay.cloudflareaccess.com';
const AUD = randomBytes(32).toString('hex');
const ADMIN_AUD = randomBytes(32).toString('hex');

describe('Cloudflare Access keys relayed by proxy-worker', () => {
  const jwks = new JwksServer();
  let env: TestEnv;
  let gateway: SpawnedApp & { url: string };
  let worker: SpawnedApp | undefined;
  /** Listens to the channel on which gateways ask the relay for a fresh fetch. */
  const listener = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  let refreshRequests = 0;

  beforeAll(async () => {
    const keyA = await signingKey('relay-a');
    jwks.keys = [keyA.jwk];
    env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      CF_ACCESS_TEAM_DOMAIN: TEAM,
      CF_ACCESS_AUD: AUD,
      CF_ACCESS_ADMIN_AUD: ADMIN_AUD,
      CF_ACCESS_JWKS_URL: await jwks.start(),
      CF_ACCESS_JWKS_SOURCE: 'relay',
    });
    await listener.connect();
    await listener.subscribe(broadcastChannel(env.redisPrefix, BroadcastEvent.cfAccessKeysRefresh));
    listener.on('message', () => (refreshRequests += 1));
    gateway = await spawnGateway(env.env);
  });

  afterAll(async () => {
    listener.disconnect();
    await gateway?.stop();
    await worker?.stop();
    await env?.cleanup();
    await jwks.stop();
  });

  it('answers 503 until a key set has been relayed, never fetching the keys itself', async () => {
    const key = await signingKey('relay-b');
    jwks.keys = [key.jwk];
    const jwt = await signAccessToken(key, { iss: `https://${TEAM}`, aud: [AUD] });
    const res = await request(gateway.url).get('/api/v1/me').set('Cf-Access-Jwt-Assertion', jwt);
    expect(res.status).toBe(503);
    expect(res.body.error.type).toBe('service_unavailable');
    expect(jwks.fetches).toBe(0);
    await request(gateway.url).get('/health').expect(200);
  });

  it('verifies against the set proxy-worker relays, and follows a key rotation', async () => {
    const keyB = await signingKey('relay-b2');
    jwks.keys = [keyB.jwk];
    worker = spawnApp('proxy-worker', { ...env.env, LOG_LEVEL: 'info' });
    const jwtB = await signAccessToken(keyB, { iss: `https://${TEAM}`, aud: [AUD] });
    // Past Access, the request reaches key auth: 401 without a gateway key.
    await waitFor(
      async () =>
        (await request(gateway.url).get('/api/v1/me').set('Cf-Access-Jwt-Assertion', jwtB))
          .status === 401,
      20_000,
      () => worker?.output() ?? '',
    );
    expect(jwks.fetches).toBeGreaterThanOrEqual(1);

    // Cloudflare rotates: a token under a new key id makes the gateway ask for a fresh fetch.
    await new Promise((r) => setTimeout(r, CF_ACCESS_KEYS_REFRESH_INTERVAL_MS + 200));
    const keyC = await signingKey('relay-c');
    jwks.keys = [keyB.jwk, keyC.jwk];
    const jwtC = await signAccessToken(keyC, { iss: `https://${TEAM}`, aud: [AUD] });
    const rotated = await request(gateway.url)
      .get('/api/v1/me')
      .set('Cf-Access-Jwt-Assertion', jwtC);
    expect(rotated.status).toBe(401);

    // A forged key id still gets 403, not a pass (the rotation's refresh answers it too).
    const stranger = await signingKey('relay-unknown');
    const forged = await signAccessToken(stranger, { iss: `https://${TEAM}`, aud: [AUD] });
    const denied = await request(gateway.url)
      .get('/api/v1/me')
      .set('Cf-Access-Jwt-Assertion', forged);
    expect(denied.status).toBe(403);
  });

  it('asks the relay for unknown key ids at most once per interval, not per request', async () => {
    await new Promise((r) => setTimeout(r, CF_ACCESS_KEYS_REFRESH_INTERVAL_MS + 200));
    const requestsBefore = refreshRequests;
    const fetchesBefore = jwks.fetches;
    const forged = await Promise.all(
      Array.from({ length: 6 }, async (_, i) =>
        signAccessToken(await signingKey(`relay-forged-${i}`), {
          iss: `https://${TEAM}`,
          aud: [AUD],
        }),
      ),
    );
    const send = (jwt: string) =>
      request(gateway.url).get('/api/v1/me').set('Cf-Access-Jwt-Assertion', jwt);
    const statuses: number[] = [];
    for (const jwt of forged.slice(0, 3)) statuses.push((await send(jwt)).status);
    const startedAt = Date.now();
    statuses.push(...(await Promise.all(forged.slice(3).map(send))).map((res) => res.status));
    const concurrentMs = Date.now() - startedAt;
    expect(statuses).toEqual([403, 403, 403, 403, 403, 403]);
    // Published messages reach the listener asynchronously.
    await new Promise((r) => setTimeout(r, 300));
    expect(refreshRequests - requestsBefore).toBe(1);
    // The later ones were answered from the keys held, without another wait for the relay.
    expect(concurrentMs).toBeLessThan(1_000);
    expect(jwks.fetches - fetchesBefore).toBeLessThanOrEqual(1);
  });
});
