import { CF_ACCESS_KEYS_REFRESH_INTERVAL_MS } from '@gatehouse/queue';
import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import {
  JwksServer,
  type SigningKey,
  signAccessToken,
  signingKey,
  type TokenOptions,
} from './support/cf-access-kit.js';
import { type SpawnedApp, spawnApp, spawnGateway, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * Cloudflare Access in front of the gateway, with Cloudflare played by a loopback server that
 * publishes a JWKS of keys generated here. The gateway is pointed at it with CF_ACCESS_JWKS_URL
 * (refused in production), so everything else is the production path: issuer and audience
 * checks, RS256 only, the remote key set with its cache and refetch on an unknown key id.
 */

/** Waits until the gateway may refetch for an unknown key id again. */
async function pastCooldown(jwks: JwksServer): Promise<void> {
  const wait = jwks.lastFetchAt + CF_ACCESS_KEYS_REFRESH_INTERVAL_MS + 250 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

const TEAM = 'gatehouse-e2e.cloudflareaccess.com';
/** The Access application in front of the client API. */
const AUD = randomBytes(32).toString('hex');
/** The second, stricter Access application on the admin paths has its own AUD tag. */
const ADMIN_AUD = randomBytes(32).toString('hex');

/** A token of the client API's application, unless `opts` says otherwise. */
const accessToken = (key: SigningKey, opts: TokenOptions = {}) =>
  signAccessToken(key, { iss: `https://${TEAM}`, aud: [AUD], ...opts });
const adminAccessToken = (key: SigningKey) => accessToken(key, { aud: [ADMIN_AUD] });
/** Tokens signed by a key the team never published, each under a key id of its own. */
const forgedKidTokens = (n: number) =>
  Promise.all(
    Array.from({ length: n }, async () =>
      accessToken(await signingKey(`forged-${randomBytes(6).toString('hex')}`)),
    ),
  );

function expectDenied(res: request.Response): void {
  expect(res.status).toBe(403);
  expect(res.body).toEqual({
    error: {
      type: 'permission_denied',
      message: 'Access denied',
      request_id: res.headers['x-request-id'],
    },
  });
  // Refused before key auth, yet with the headers every gateway response carries.
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
}

describe('Cloudflare Access', () => {
  const jwks = new JwksServer();
  let keyA: SigningKey;
  let env: TestEnv;
  let gateway: SpawnedApp & { url: string };
  let clientKey: string;

  beforeAll(async () => {
    keyA = await signingKey('key-a');
    jwks.keys = [keyA.jwk];
    const jwksUrl = await jwks.start();
    env = await createTestEnv({
      // Logs on, so the test can check that tokens never reach them.
      LOG_LEVEL: 'info',
      CF_ACCESS_TEAM_DOMAIN: TEAM,
      CF_ACCESS_AUD: AUD,
      CF_ACCESS_ADMIN_AUD: ADMIN_AUD,
      CF_ACCESS_JWKS_URL: jwksUrl,
    });
    gateway = await spawnGateway(env.env);
  });

  afterAll(async () => {
    await gateway?.stop();
    await env?.cleanup();
    await jwks.stop();
  });

  it('keeps /health and /ready open for the container health check', async () => {
    await request(gateway.url).get('/health').expect(200, { status: 'ok' });
    const ready = await request(gateway.url).get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
  });

  it('refuses a request without an Access token before key auth', async () => {
    expectDenied(await request(gateway.url).get('/api/v1/me'));
    // Even with the admin key: Access comes first.
    expectDenied(
      await request(gateway.url).get('/api/v1/admin/keys').set('x-api-key', env.adminKey),
    );
    expectDenied(await request(gateway.url).get('/no-such-route'));
  });

  it('refuses a token that is not a JWT', async () => {
    expectDenied(
      await request(gateway.url).get('/api/v1/me').set('Cf-Access-Jwt-Assertion', 'not-a-jwt'),
    );
  });

  it('refuses a token signed by a key that is not in the team JWKS, even under a known kid', async () => {
    const impostor = await signingKey('key-a');
    const token = await accessToken(impostor);
    expectDenied(
      await request(gateway.url).get('/api/v1/me').set('Cf-Access-Jwt-Assertion', token),
    );
  });

  it('refuses a token whose signature was tampered with', async () => {
    const [header, payload, signature] = (await accessToken(keyA)).split('.') as [
      string,
      string,
      string,
    ];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, email: 'admin@example.test' })).toString(
      'base64url',
    );
    const res = await request(gateway.url)
      .get('/api/v1/me')
      .set('Cf-Access-Jwt-Assertion', `${header}.${forged}.${signature}`);
    expectDenied(res);
  });

  it('refuses an HMAC token that names the team key (algorithm confusion)', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: keyA.kid })
      .setIssuer(`https://${TEAM}`)
      .setAudience(AUD)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(randomBytes(32));
    expectDenied(
      await request(gateway.url).get('/api/v1/me').set('Cf-Access-Jwt-Assertion', token),
    );
  });

  it('refuses a token for another Access application (wrong aud)', async () => {
    const token = await accessToken(keyA, { aud: [randomBytes(32).toString('hex')] });
    expectDenied(
      await request(gateway.url).get('/api/v1/me').set('Cf-Access-Jwt-Assertion', token),
    );
  });

  it('refuses a token from another team (wrong iss)', async () => {
    const token = await accessToken(keyA, { iss: 'https://someone-else.cloudflareaccess.com' });
    expectDenied(
      await request(gateway.url).get('/api/v1/me').set('Cf-Access-Jwt-Assertion', token),
    );
  });

  it('refuses an expired token, beyond the small clock tolerance', async () => {
    const token = await accessToken(keyA, { issuedAgo: 3600 + 120, expiresIn: 3600 });
    expectDenied(
      await request(gateway.url).get('/api/v1/me').set('Cf-Access-Jwt-Assertion', token),
    );
  });

  it('passes a token of the application that guards the path on to key auth', async () => {
    const token = await accessToken(keyA);
    const created = await request(gateway.url)
      .post('/api/v1/admin/keys')
      .set('Cf-Access-Jwt-Assertion', await adminAccessToken(keyA))
      .set('x-api-key', env.adminKey)
      .send({ name: 'behind access' });
    expect(created.status).toBe(201);
    clientKey = created.body.key;

    const noKey = await request(gateway.url)
      .get('/api/v1/me')
      .set('Cf-Access-Jwt-Assertion', token);
    expect(noKey.status).toBe(401);
    expect(noKey.body.error.type).toBe('authentication_error');

    const me = await request(gateway.url)
      .get('/api/v1/me')
      .set(
        'Cf-Access-Jwt-Assertion',
        await accessToken(keyA, { aud: ['another-app-aud-0000', AUD] }),
      )
      .set('Authorization', `Bearer ${clientKey}`);
    expect(me.status).toBe(200);
    expect(me.body.key_id).toBe(created.body.id);

    // The queue board is an admin path too: past Access, its own auth asks for the admin key.
    const board = await request(gateway.url)
      .get('/admin/queues')
      .set('Cf-Access-Jwt-Assertion', await adminAccessToken(keyA));
    expect(board.status).toBe(401);

    // A valid Access token is not a key: the client key is still required.
    const accessOnly = await request(gateway.url)
      .get('/api/v1/me')
      .set('Authorization', `Bearer ${token}`)
      .set('Cf-Access-Jwt-Assertion', token);
    expect(accessOnly.status).toBe(401);
  });

  it("refuses the client application's token on the admin paths, however they are spelled", async () => {
    const token = await accessToken(keyA);
    // The router decodes %61 to `a`: these reach the admin handlers too.
    for (const path of ['/api/v1/admin/keys', '/api/v1/%61dmin/keys', '/%61pi/v1/admin/keys']) {
      expectDenied(
        await request(gateway.url)
          .get(path)
          .set('Cf-Access-Jwt-Assertion', token)
          .set('x-api-key', env.adminKey),
      );
    }
    expectDenied(
      await request(gateway.url)
        .post('/api/v1/admin/keys')
        .set('Cf-Access-Jwt-Assertion', token)
        .set('x-api-key', env.adminKey)
        .send({ name: 'through the wrong door' }),
    );
    const basic = `Basic ${Buffer.from(`admin:${env.adminKey}`).toString('base64')}`;
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/%61dmin/queues']) {
      expectDenied(
        await request(gateway.url)
          .get(path)
          .set('Cf-Access-Jwt-Assertion', token)
          .set('Authorization', basic),
      );
    }
  });

  it("refuses the admin application's token on the client paths", async () => {
    const token = await adminAccessToken(keyA);
    for (const path of ['/api/v1/me', '/v1/models', '/api/v1/jobs']) {
      expectDenied(
        await request(gateway.url)
          .get(path)
          .set('Cf-Access-Jwt-Assertion', token)
          .set('Authorization', `Bearer ${clientKey}`),
      );
    }
    expectDenied(
      await request(gateway.url)
        .post('/v1/chat/completions')
        .set('Cf-Access-Jwt-Assertion', token)
        .set('Authorization', `Bearer ${clientKey}`)
        .send({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    );
    // Nor on a path that matches no route: only the admin paths take the admin application.
    expectDenied(
      await request(gateway.url).get('/no-such-route').set('Cf-Access-Jwt-Assertion', token),
    );
  });

  it('answers CORS preflights, which browsers send without the token', async () => {
    const res = await request(gateway.url)
      .options('/api/v1/me')
      .set('Origin', 'https://app.example.test')
      .set('Access-Control-Request-Method', 'GET');
    expect(res.status).toBe(204);
    // A bare OPTIONS is no preflight and gets no pass.
    expectDenied(await request(gateway.url).options('/api/v1/me'));
  });

  it('logs why a request was denied, never the token', async () => {
    const token = await accessToken(keyA, { aud: ['wrong-audience-00000000'] });
    const requestId = `cf-access-log-${randomBytes(6).toString('hex')}`;
    await request(gateway.url)
      .get('/api/v1/me')
      .set('X-Request-Id', requestId)
      .set('Cf-Access-Jwt-Assertion', token)
      .expect(403);
    // Logs are written asynchronously: wait for this request's line.
    await waitFor(
      async () => Promise.resolve(gateway.output().includes(requestId)),
      5_000,
      () => gateway.output(),
    );
    const line = gateway
      .output()
      .split('\n')
      .find((l) => l.includes(requestId) && l.includes('access denied'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({
      reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'aud',
    });
    // No token sent in this suite, valid or not, appears anywhere in the logs.
    expect(gateway.output()).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+/);
    expect(gateway.output()).not.toContain(token.split('.')[2]);
  });

  it('fetched the key set once and served every token above from its cache', () => {
    expect(jwks.fetches).toBe(1);
  });

  it('refetches for unknown key ids at most once per interval, not per request', async () => {
    await pastCooldown(jwks);
    const fetchesBefore = jwks.fetches;
    const [first, ...others] = await forgedKidTokens(7);
    const send = (token: string) =>
      request(gateway.url)
        .get('/api/v1/me')
        .set('Cf-Access-Jwt-Assertion', token)
        .set('Authorization', `Bearer ${clientKey}`);
    expectDenied(await send(first));
    for (const token of others.slice(0, 3)) expectDenied(await send(token));
    for (const res of await Promise.all(others.slice(3).map(send))) expectDenied(res);
    expect(jwks.fetches).toBe(fetchesBefore + 1);
  });

  it('refetches at most once per interval while Cloudflare fails, too', async () => {
    jwks.failing = true;
    try {
      await pastCooldown(jwks);
      const fetchesBefore = jwks.fetches;
      const tokens = await forgedKidTokens(6);
      for (const token of tokens.slice(0, 3)) {
        const res = await request(gateway.url)
          .get('/api/v1/me')
          .set('Cf-Access-Jwt-Assertion', token);
        // Whether this is a rotation cannot be known while the keys cannot be fetched.
        expect(res.status).toBe(503);
      }
      const concurrent = await Promise.all(
        tokens
          .slice(3)
          .map((token) =>
            request(gateway.url).get('/api/v1/me').set('Cf-Access-Jwt-Assertion', token),
          ),
      );
      expect(concurrent.map((res) => res.status)).toEqual([503, 503, 503]);
      expect(jwks.fetches).toBe(fetchesBefore + 1);
      // Tokens under the keys held are still verified meanwhile.
      const known = await request(gateway.url)
        .get('/api/v1/me')
        .set('Cf-Access-Jwt-Assertion', await accessToken(keyA))
        .set('Authorization', `Bearer ${clientKey}`);
      expect(known.status).toBe(200);
    } finally {
      jwks.failing = false;
    }
  });

  it('follows a key rotation: a token under a new kid makes the gateway refetch the JWKS', async () => {
    const keyB = await signingKey('key-b');
    const tokenB = await accessToken(keyB);

    // Cloudflare unreachable while the new key is unknown: an outage, said as one (503).
    jwks.failing = true;
    await pastCooldown(jwks);
    const fetchesBefore = jwks.fetches;
    const outage = await request(gateway.url)
      .get('/api/v1/me')
      .set('Cf-Access-Jwt-Assertion', tokenB)
      .set('Authorization', `Bearer ${clientKey}`);
    expect(outage.status).toBe(503);
    expect(outage.body.error).toEqual({
      type: 'service_unavailable',
      message: expect.any(String),
      request_id: outage.headers['x-request-id'],
    });
    expect(jwks.fetches).toBe(fetchesBefore + 1);

    // Cloudflare rotates: the set now holds only the new key.
    jwks.failing = false;
    jwks.keys = [keyB.jwk];
    await pastCooldown(jwks);
    const rotated = await request(gateway.url)
      .get('/api/v1/me')
      .set('Cf-Access-Jwt-Assertion', tokenB)
      .set('Authorization', `Bearer ${clientKey}`);
    expect(rotated.status).toBe(200);
    expect(jwks.fetches).toBe(fetchesBefore + 2);

    // The retired key is gone from the refreshed set.
    const old = await request(gateway.url)
      .get('/api/v1/me')
      .set('Cf-Access-Jwt-Assertion', await accessToken(keyA))
      .set('Authorization', `Bearer ${clientKey}`);
    expectDenied(old);
  });
});

/**
 * An app's output once it has exited and its pipes have drained (output may trail 'exit'). One
 * that is still running after 15 s is stopped: it accepted a configuration it should not have.
 */
async function exitAndOutput(app: SpawnedApp, expected: string): Promise<[number | null, string]> {
  const timer = setTimeout(() => void app.stop(), 15_000);
  const code = await app.exited;
  clearTimeout(timer);
  await waitFor(
    async () => Promise.resolve(app.output().includes(expected)),
    2_000,
    () => app.output(),
  ).catch(() => undefined);
  return [code, app.output()];
}

describe('Cloudflare Access configuration', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('is off unless configured: no Access header is needed', async () => {
    const gateway = await spawnGateway(env.env);
    try {
      const created = await request(gateway.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', env.adminKey)
        .send({ name: 'no access' });
      expect(created.status).toBe(201);
      const me = await request(gateway.url)
        .get('/api/v1/me')
        .set('Authorization', `Bearer ${created.body.key}`);
      expect(me.status).toBe(200);
    } finally {
      await gateway.stop();
    }
  });

  it('refuses to start with Access half configured', async () => {
    const app = spawnApp('gateway', { ...env.env, PORT: '0', CF_ACCESS_TEAM_DOMAIN: TEAM });
    const [code, out] = await exitAndOutput(app, 'CF_ACCESS_AUD');
    expect(code).toBe(78);
    expect(out).toContain('CF_ACCESS_AUD');

    const other = spawnApp('gateway', { ...env.env, PORT: '0', CF_ACCESS_AUD: AUD });
    const [otherCode, otherOut] = await exitAndOutput(other, 'CF_ACCESS_TEAM_DOMAIN');
    expect(otherCode).toBe(78);
    expect(otherOut).toContain('CF_ACCESS_TEAM_DOMAIN');
  });

  it("refuses to start without the admin application's tag: the admin paths need their own", async () => {
    const app = spawnApp('gateway', {
      ...env.env,
      PORT: '0',
      CF_ACCESS_TEAM_DOMAIN: TEAM,
      CF_ACCESS_AUD: AUD,
    });
    const [code, out] = await exitAndOutput(app, 'CF_ACCESS_ADMIN_AUD');
    expect(code).toBe(78);
    expect(out).toContain('CF_ACCESS_ADMIN_AUD');
  });

  it('refuses to start with a tag in both CF_ACCESS_AUD and CF_ACCESS_ADMIN_AUD', async () => {
    const app = spawnApp('gateway', {
      ...env.env,
      PORT: '0',
      CF_ACCESS_TEAM_DOMAIN: TEAM,
      CF_ACCESS_AUD: `${AUD},${ADMIN_AUD}`,
      CF_ACCESS_ADMIN_AUD: ADMIN_AUD,
    });
    const [code, out] = await exitAndOutput(app, 'CF_ACCESS_ADMIN_AUD');
    expect(code).toBe(78);
    expect(out).toMatch(/CF_ACCESS_ADMIN_AUD.*share/);
    expect(out).not.toContain(ADMIN_AUD);
  });

  it('refuses the test-only JWKS override in production', async () => {
    const app = spawnApp('gateway', {
      ...env.env,
      PORT: '0',
      NODE_ENV: 'production',
      CF_ACCESS_TEAM_DOMAIN: TEAM,
      CF_ACCESS_AUD: AUD,
      CF_ACCESS_ADMIN_AUD: ADMIN_AUD,
      CF_ACCESS_JWKS_URL: 'http://127.0.0.1:9/cdn-cgi/access/certs',
    });
    const [code, out] = await exitAndOutput(app, 'CF_ACCESS_JWKS_URL');
    expect(code).toBe(78);
    expect(out).toMatch(/CF_ACCESS_JWKS_URL.*production/);
  });
});
