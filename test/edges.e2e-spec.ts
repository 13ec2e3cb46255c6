import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { type SpawnedApp, spawnGateway } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import type { ErrorBody } from '../apps/gateway/src/http/error-body.js';

type Gateway = SpawnedApp & { url: string };
type Res = request.Response;

function errorOf(res: Res): ErrorBody['error'] {
  return (res.body as ErrorBody).error;
}

function nameOf(res: Res): unknown {
  return (res.body as { name?: unknown }).name;
}

const ALLOWED_ORIGIN = 'https://app.example.test';
const OTHER_ORIGIN = 'https://evil.example.test';
const SMALL_BODY_CAP = 2048;

/** The one error shape, with request_id matching the X-Request-Id header. */
function expectErrorShape(res: Res, status: number, type: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const requestId = res.headers['x-request-id'];
  expect(typeof requestId).toBe('string');
  expect(res.body).toEqual({
    error: { type, message: expect.any(String) as unknown, request_id: requestId },
  });
  expect(errorOf(res).message.length).toBeGreaterThan(0);
}

function expectSecurityHeaders(res: Res): void {
  const csp = res.headers['content-security-policy'];
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  expect(res.headers['x-powered-by']).toBeUndefined();
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-request-id']).toEqual(expect.any(String));
}

/** A JSON body of exactly `bytes` bytes (valid JSON: padded with trailing whitespace). */
function jsonOfSize(value: object, bytes: number): string {
  const json = JSON.stringify(value);
  if (json.length > bytes) throw new Error('value does not fit');
  return json + ' '.repeat(bytes - json.length);
}

describe('HTTP edges: headers, CORS, bodies, errors, request ids', () => {
  let env: TestEnv;
  let gw: Gateway;
  let admin: string;
  let clientKey: string;

  beforeAll(async () => {
    env = await createTestEnv({ CORS_ORIGINS: ALLOWED_ORIGIN });
    admin = env.adminKey;
    gw = await spawnGateway(env.env);
    clientKey = (await createKey(gw.url, admin)).key;
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await env?.cleanup();
  }, 30_000);

  describe('security headers', () => {
    it('are set on an authenticated API response', async () => {
      const res = await request(gw.url).get('/api/v1/me').set('x-api-key', clientKey).expect(200);
      expectSecurityHeaders(res);
    });

    it('are set on error responses', async () => {
      const unauth = await request(gw.url).get('/api/v1/me').expect(401);
      expectSecurityHeaders(unauth);
      expectErrorShape(unauth, 401, 'authentication_error');
      const missing = await request(gw.url).get('/api/v1/does-not-exist').expect(404);
      expectSecurityHeaders(missing);
    });

    it('are set on /health and /ready', async () => {
      expectSecurityHeaders(await request(gw.url).get('/health').expect(200));
      expectSecurityHeaders(await request(gw.url).get('/ready'));
    });

    it('do not include an ETag', async () => {
      const res = await request(gw.url).get('/api/v1/me').set('x-api-key', clientKey).expect(200);
      expect(res.headers.etag).toBeUndefined();
    });
  });

  describe('CORS', () => {
    it('answers a preflight from a listed origin', async () => {
      const res = await request(gw.url)
        .options('/api/v1/me')
        .set('Origin', ALLOWED_ORIGIN)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'x-api-key');
      expect(res.status).toBeLessThan(300);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(res.headers['access-control-allow-methods']).toContain('POST');
      expect(res.headers['access-control-allow-headers']?.toLowerCase()).toContain('x-api-key');
      expect(res.headers.vary).toMatch(/origin/i);
      expect(res.headers['x-request-id']).toEqual(expect.any(String));
    });

    it('exposes headers to a listed origin on a normal request', async () => {
      const res = await request(gw.url)
        .get('/api/v1/me')
        .set('Origin', ALLOWED_ORIGIN)
        .set('x-api-key', clientKey)
        .expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(res.headers['access-control-expose-headers']?.toLowerCase()).toContain('x-request-id');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('gives an unlisted origin no Access-Control-Allow-Origin, on preflight or GET', async () => {
      const preflight = await request(gw.url)
        .options('/api/v1/admin/keys')
        .set('Origin', OTHER_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'x-api-key, content-type');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      const get = await request(gw.url)
        .get('/api/v1/me')
        .set('Origin', OTHER_ORIGIN)
        .set('x-api-key', clientKey)
        .expect(200);
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
      const health = await request(gw.url).get('/health').set('Origin', OTHER_ORIGIN).expect(200);
      expect(health.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('request bodies', () => {
    it('refuses non-JSON bodies with 415', async () => {
      const res = await request(gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .set('Content-Type', 'text/plain')
        .send('name=plain');
      expectErrorShape(res, 415, 'unsupported_media_type');
      const form = await request(gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .type('form')
        .send({ name: 'form' });
      expectErrorShape(form, 415, 'unsupported_media_type');
    });

    it('refuses malformed JSON with 400 invalid_request', async () => {
      const res = await request(gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .set('Content-Type', 'application/json')
        .send('{"name": "broken",');
      expectErrorShape(res, 400, 'invalid_request');
      expect(JSON.stringify(res.body)).not.toContain('broken');
    });

    it('refuses a non-object JSON body under strict parsing', async () => {
      const res = await request(gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .set('Content-Type', 'application/json')
        .send('"just a string"');
      expectErrorShape(res, 400, 'invalid_request');
    });

    it('caps bodies at 1 MiB by default (413), and accepts a small one', async () => {
      const big = jsonOfSize({ name: 'big' }, 1024 * 1024 + 100 * 1024);
      const tooLarge = await request(gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .set('Content-Type', 'application/json')
        .send(big);
      expectErrorShape(tooLarge, 413, 'payload_too_large');

      const small = await request(gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .send({ name: 'small' })
        .expect(201);
      expect(nameOf(small)).toBe('small');
    });

    it('caps chunked bodies without a Content-Length too', async () => {
      const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent === 0) controller.enqueue(new TextEncoder().encode('{"name":"chunked"}'));
          if (sent >= 20) return controller.close();
          sent += 1;
          controller.enqueue(chunk);
        },
      });
      const res = await fetch(`${gw.url}/api/v1/admin/keys`, {
        method: 'POST',
        headers: { 'x-api-key': admin, 'content-type': 'application/json' },
        body,
        duplex: 'half',
      });
      expect(res.status).toBe(413);
      const json = (await res.json()) as { error: { type: string; request_id: string } };
      expect(json.error.type).toBe('payload_too_large');
      expect(json.error.request_id).toBe(res.headers.get('x-request-id'));
    });

    it('refuses an unsupported Content-Encoding with 415', async () => {
      const res = await request(gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'x-made-up')
        .send('{"name":"enc"}');
      expectErrorShape(res, 415, 'unsupported_media_type');
    });

    it('accepts a body just under the default cap', async () => {
      const res = await request(gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .set('Content-Type', 'application/json')
        .send(jsonOfSize({ name: 'almost-a-mebibyte' }, 1024 * 1024));
      expect(res.status).toBe(201);
      expect(nameOf(res)).toBe('almost-a-mebibyte');
    });
  });

  describe('unknown routes', () => {
    it('answer 404 in the error shape, with or without a key, for GET and POST', async () => {
      const cases: Res[] = [
        await request(gw.url).get('/api/v1/nope'),
        await request(gw.url).get('/nope'),
        await request(gw.url).get('/api/v1/nope').set('x-api-key', clientKey),
        await request(gw.url).get('/api/v1/admin/nope').set('x-api-key', admin),
        await request(gw.url).post('/api/v1/nope').send({ a: 1 }),
        await request(gw.url).post('/api/v1/nope').set('x-api-key', clientKey).send({ a: 1 }),
        await request(gw.url).post('/api/v1/admin/nope').set('x-api-key', admin),
        await request(gw.url).post('/health').set('x-api-key', admin).send({}),
      ];
      for (const res of cases) {
        expectErrorShape(res, 404, 'not_found');
        expectSecurityHeaders(res);
      }
    });
  });

  describe('X-Request-Id', () => {
    it('echoes a well-formed incoming id unchanged, in header and error body', async () => {
      const id = `req-${randomBytes(8).toString('hex')}`;
      const ok = await request(gw.url).get('/health').set('X-Request-Id', id).expect(200);
      expect(ok.headers['x-request-id']).toBe(id);
      const err = await request(gw.url).get('/api/v1/nope').set('X-Request-Id', id).expect(404);
      expect(err.headers['x-request-id']).toBe(id);
      expect(errorOf(err).request_id).toBe(id);
    });

    it('generates a fresh, distinct id when none is sent', async () => {
      const a = await request(gw.url).get('/health').expect(200);
      const b = await request(gw.url).get('/health').expect(200);
      expect(a.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
      expect(b.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it.each([
      ['too short', 'abc'],
      ['markup', '<script>alert(1)</script>'],
      ['spaces', 'request id with spaces'],
      ['300 characters', 'a'.repeat(300)],
      ['a leading dash', '-abcdefghijkl'],
    ])('replaces an invalid incoming id (%s)', async (_label, bad) => {
      const res = await request(gw.url).get('/api/v1/nope').set('X-Request-Id', bad).expect(404);
      const id = res.headers['x-request-id'];
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
      expect(errorOf(res).request_id).toBe(id);
    });

    it('is present on preflight and 415 responses', async () => {
      const preflight = await request(gw.url)
        .options('/api/v1/me')
        .set('Origin', ALLOWED_ORIGIN)
        .set('Access-Control-Request-Method', 'GET');
      expect(preflight.headers['x-request-id']).toEqual(expect.any(String));
      const unsupported = await request(gw.url)
        .post('/api/v1/admin/keys')
        .set('x-api-key', admin)
        .set('Content-Type', 'text/plain')
        .send('x');
      expect(errorOf(unsupported).request_id).toBe(unsupported.headers['x-request-id']);
    });
  });
});

describe('HTTP edges in production mode', () => {
  let env: TestEnv;
  let gw: Gateway;
  let admin: string;

  beforeAll(async () => {
    env = await createTestEnv({
      NODE_ENV: 'production',
      MAX_BODY_BYTES: String(SMALL_BODY_CAP),
      CORS_ORIGINS: ALLOWED_ORIGIN,
    });
    admin = env.adminKey;
    gw = await spawnGateway(env.env);
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await env?.cleanup();
  }, 30_000);

  function expectNoInternals(res: Res): void {
    const text = res.text;
    expect(text).not.toMatch(/stack/i);
    expect(text).not.toContain('/work/');
    expect(text).not.toContain('node_modules');
    expect(text).not.toMatch(/\.(js|ts):\d/);
    expect(text).not.toMatch(/\bat \S+ \(/);
    expect(Object.keys(res.body as object)).toEqual(['error']);
    expect(Object.keys((res.body as { error: object }).error).sort()).toEqual([
      'message',
      'request_id',
      'type',
    ]);
  }

  it('runs with production headers', async () => {
    const res = await request(gw.url).get('/health').expect(200);
    expectSecurityHeaders(res);
  });

  it('leaks no stack or paths in 404, 400, 415 and 401 errors', async () => {
    const notFound = await request(gw.url).get('/api/v1/nope');
    expectErrorShape(notFound, 404, 'not_found');
    expectNoInternals(notFound);

    const malformed = await request(gw.url)
      .post('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .set('Content-Type', 'application/json')
      .send('{"name":');
    expectErrorShape(malformed, 400, 'invalid_request');
    expectNoInternals(malformed);

    const invalid = await request(gw.url)
      .post('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .send({ name: 'x', unknown_field: true });
    expectErrorShape(invalid, 400, 'invalid_request');
    expectNoInternals(invalid);

    const unsupported = await request(gw.url)
      .post('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .set('Content-Type', 'text/plain')
      .send('x');
    expectErrorShape(unsupported, 415, 'unsupported_media_type');
    expectNoInternals(unsupported);

    const unauth = await request(gw.url).get('/api/v1/me');
    expectErrorShape(unauth, 401, 'authentication_error');
    expectNoInternals(unauth);
  });

  it('enforces a configured MAX_BODY_BYTES exactly', async () => {
    const fits = await request(gw.url)
      .post('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .set('Content-Type', 'application/json')
      .send(jsonOfSize({ name: 'at-the-cap' }, SMALL_BODY_CAP));
    expect(fits.status).toBe(201);

    const over = await request(gw.url)
      .post('/api/v1/admin/keys')
      .set('x-api-key', admin)
      .set('Content-Type', 'application/json')
      .send(jsonOfSize({ name: 'over-the-cap' }, SMALL_BODY_CAP + 1));
    expectErrorShape(over, 413, 'payload_too_large');
    expectNoInternals(over);
  });
});
