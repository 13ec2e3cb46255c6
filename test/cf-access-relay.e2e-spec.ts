import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { JwksServer, signAccessToken, signingKey } from './support/cf-access-kit.js';
import { type SpawnedApp, spawnApp, spawnGateway, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

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

  beforeAll(async () => {
    const keyA = await signingKey('relay-a');
    jwks.keys = [keyA.jwk];
    env = await createTestEnv({
      CF_ACCESS_TEAM_DOMAIN: TEAM,
      CF_ACCESS_AUD: AUD,
      CF_ACCESS_ADMIN_AUD: ADMIN_AUD,
      CF_ACCESS_JWKS_URL: await jwks.start(),
      CF_ACCESS_JWKS_SOURCE: 'relay',
    });
    gateway = await spawnGateway(env.env);
  });

  afterAll(async () => {
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
    await new Promise((r) => setTimeout(r, 5_200)); // the relay's minimum gap between fetches
    const keyC = await signingKey('relay-c');
    jwks.keys = [keyB.jwk, keyC.jwk];
    const jwtC = await signAccessToken(keyC, { iss: `https://${TEAM}`, aud: [AUD] });
    const rotated = await request(gateway.url)
      .get('/api/v1/me')
      .set('Cf-Access-Jwt-Assertion', jwtC);
    expect(rotated.status).toBe(401);

    // A forged key id still gets 403 (after one refresh attempt), not a pass.
    const stranger = await signingKey('relay-unknown');
    const forged = await signAccessToken(stranger, { iss: `https://${TEAM}`, aud: [AUD] });
    const denied = await request(gateway.url)
      .get('/api/v1/me')
      .set('Cf-Access-Jwt-Assertion', forged);
    expect(denied.status).toBe(403);
  });
});
