import { randomBytes, randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createAccount, createKey } from './support/admin-client.js';
import { startDnsStub } from './support/dns-stub.js';
import {
  LOOPBACK_UPSTREAM,
  type MockUpstream,
  startMockUpstream,
} from './support/mock-upstream.js';
import {
  NGINX_TEMPLATE,
  requireNginx,
  type RunningNginx,
  startNginx,
  TEMPLATE_VARIABLES,
} from './support/nginx.js';
import {
  freePort,
  type SpawnedApp,
  spawnGateway,
  spawnWorker,
  waitFor,
} from './support/spawn-app.js';
import { createTestEnv, type TestEnv, credentialKeyEnv } from './support/test-env.js';
import { createRedisNamespace } from './support/test-redis.js';

type Gateway = SpawnedApp & { url: string };
type Raw = { status: number; headers: IncomingHttpHeaders; body: string };

/** nginx's `client_max_body_size 1m`, equal to the gateway's default MAX_BODY_BYTES. */
const BODY_CAP = 1024 * 1024;
/** The template's REAL_IP_FROM in these tests: the one loopback address nginx believes. */
const TRUSTED_HOP = '127.0.0.2';

/** A documentation-range address (RFC 5737). */
const randomIp = () => `198.51.100.${randomInt(1, 255)}`;

/** Helmet sets this on every gateway response and nginx never does: it tells who answered. */
const GATEWAY_MARKER = 'origin-agent-cluster';

/** One request on its own connection, optionally from a chosen loopback source address. */
function raw(
  base: string,
  path: string,
  options: { headers?: Record<string, string>; localAddress?: string } = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      { agent: false, headers: options.headers, localAddress: options.localAddress },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A `raw` answer as a fetch Response, for the checks written against those. */
function asResponse(res: Raw): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return new Response(res.body, { status: res.status, headers });
}

/**
 * A request that nginx counts as in flight and that stays so: a POST whose body never comes.
 * Resolves once nginx answers `100 Continue`, which it sends only when the proxy starts reading
 * the body, so the request has passed the limits by then. Destroy the socket to end it.
 */
function holdRequest(
  port: number,
  options: { headers?: Record<string, string>; localAddress?: string } = {},
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress }, () => {
      const head = [
        'POST /api/v1/admin/keys HTTP/1.1',
        'Host: gatehouse.test',
        'Content-Type: application/json',
        'Content-Length: 64',
        'Expect: 100-continue',
        ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      ];
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      data += d;
      if (data.startsWith('HTTP/1.1 100 ')) resolve(socket);
      else if (data.includes('\r\n')) {
        socket.destroy();
        reject(new Error(`nginx did not take the request in: ${data}`));
      }
    });
    socket.on('error', reject);
  });
}

/** nginx's own error responses: the gateway's error shape and API headers, made by nginx. */
async function expectNginxError(res: Response, status: number, type: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(res.headers.get('server')).toBe('nginx');
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toMatch(/^[0-9a-f]{32}$/);
  expect(await res.json()).toEqual({
    error: { type, message: expect.any(String) as unknown, request_id: requestId },
  });
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('content-security-policy')).toBe(
    "default-src 'none'; frame-ancestors 'none'",
  );
  expect(res.headers.get(GATEWAY_MARKER)).toBeNull();
}

function chatBody(content: string, stream = false): string {
  return JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content }], stream });
}

/** A chat request body of exactly `bytes` bytes. */
function chatBodyOfSize(bytes: number): string {
  const padding = bytes - chatBody('').length;
  const body = chatBody('x'.repeat(padding));
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

describe('nginx in front of the gateway (the production template, rendered)', () => {
  let env: TestEnv;
  let upstream: MockUpstream;
  let gw: Gateway;
  let worker: SpawnedApp;
  /** A second gateway with a per-IP limit of 3 a minute and buckets of its own. */
  let strictGw: Gateway;
  let front: RunningNginx;
  let strictFront: RunningNginx;
  /** Points at a port nobody listens on, with a tight coarse limit. */
  let deadFront: RunningNginx;
  /** In front of the main gateway with the tightest coarse rate limit (1 r/s, burst 1). */
  let tightFront: RunningNginx;
  /** In front of the main gateway with at most two requests in flight per client. */
  let connFront: RunningNginx;
  let clientKey: string;
  const namespace = createRedisNamespace();
  const hostPort = (url: string) => new URL(url).host;

  beforeAll(async () => {
    requireNginx(); // fails the suite with the reason before anything else starts
    upstream = await startMockUpstream();
    env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      ...credentialKeyEnv(),
      // nginx connects from loopback: it is the one proxy the gateway believes.
      TRUSTED_PROXIES: '127.0.0.1',
    });
    gw = await spawnGateway(env.env);
    worker = await spawnWorker(env.env);
    strictGw = await spawnGateway({
      ...env.env,
      RATE_LIMIT_IP_PER_MIN: '3',
      REDIS_KEY_PREFIX: namespace.prefix,
    });
    await createAccount(gw.url, env.adminKey, {
      name: 'oa',
      provider: 'openai',
      base_url: upstream.openaiBase('oa'),
      credential: `sk-${randomBytes(24).toString('hex')}`,
      models: ['gpt-test'],
    });
    clientKey = (await createKey(gw.url, env.adminKey, { allowed_models: ['gpt-test'] })).key;

    front = await startNginx({ GATEWAY_UPSTREAM: hostPort(gw.url) });
    strictFront = await startNginx({ GATEWAY_UPSTREAM: hostPort(strictGw.url) });
    tightFront = await startNginx({
      GATEWAY_UPSTREAM: hostPort(gw.url),
      NGINX_RATE_PER_SECOND: '1',
      NGINX_RATE_BURST: '1',
    });
    connFront = await startNginx({ GATEWAY_UPSTREAM: hostPort(gw.url), NGINX_CONN_PER_IP: '2' });
    // Last: a port found free is released, not held, so a front started after this one could be
    // given the same port, and the "dead" gateway would answer (a CI run saw a 200 here).
    deadFront = await startNginx({
      GATEWAY_UPSTREAM: `127.0.0.1:${await freePort()}`,
      NGINX_RATE_PER_SECOND: '1',
      NGINX_RATE_BURST: '1',
    });
  });

  afterAll(async () => {
    for (const n of [front, strictFront, deadFront, tightFront, connFront]) await n?.stop();
    await gw?.stop();
    await strictGw?.stop();
    await worker?.stop();
    await upstream?.close();
    await namespace.cleanup();
    await env?.cleanup();
  });

  it('uses exactly the compose variables, and nginx -t accepts the rendered config', async () => {
    const template = await readFile(NGINX_TEMPLATE, 'utf8');
    const used = new Set([...template.matchAll(/\$\{?([A-Z][A-Z0-9_]*)\}?/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual([...TEMPLATE_VARIABLES].sort());
    expect(front.rendered).not.toMatch(/\$\{?[A-Z][A-Z0-9_]*\}?/);
    expect(front.rendered).toContain('$remote_addr'); // nginx's own variables survive rendering
    expect(front.configTest.code).toBe(0);
    expect(front.configTest.output).toMatch(/test is successful/);
  });

  it('keeps the gateway security headers, once, and hides the nginx version', async () => {
    const res = await fetch(`${front.url}/api/v1/me`, { headers: { 'x-api-key': clientKey } });
    expect(res.status).toBe(200);
    expect(res.headers.get('server')).toBe('nginx');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toMatch(
      /^max-age=\d+; includeSubDomains$/,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get(GATEWAY_MARKER)).toBe('?1');
    // nginx's request id reaches the gateway, so both logs name the request the same way.
    const requestId = res.headers.get('x-request-id') ?? '';
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    // nginx writes a request's access line once its response has gone, so the client can see
    // the response first: wait for the line rather than read the log at once.
    const logged = `"request_id":"${requestId}"`;
    await waitFor(
      async () => (await front.output()).includes(logged),
      5_000,
      () => `no access line with ${logged}`,
    );
    expect(await front.output()).toContain(logged);

    // A well-formed id from the client is kept end to end, as the gateway does on its own.
    const own = `client-${randomBytes(8).toString('hex')}`;
    const mine = await fetch(`${front.url}/api/v1/me`, {
      headers: { 'x-api-key': clientKey, 'x-request-id': own },
    });
    expect(mine.headers.get('x-request-id')).toBe(own);
  });

  it('never proxies to the metrics port: every location passes to the gateway API alone', async () => {
    const directives = front.rendered.replace(/#.*$/gm, ''); // comments mention proxy_pass too
    const passes = [...directives.matchAll(/proxy_pass\s+([^;]+);/g)].map((m) => m[1]);
    expect(passes.length).toBeGreaterThan(0);
    expect(new Set(passes)).toEqual(new Set(['http://$gatehouse_gateway']));
    expect(front.rendered).not.toMatch(/9464|METRICS/);
    const res = await fetch(`${front.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('gatehouse_');
  });

  it('passes /health and /ready to the gateway', async () => {
    const health = await fetch(`${front.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(health.headers.get(GATEWAY_MARKER)).toBe('?1');
    const ready = await fetch(`${front.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
  });

  it('routes the admin API and Bull Board to the gateway (401 without a key, not 404)', async () => {
    for (const path of ['/api/v1/admin/keys', '/admin/queues', '/admin/queues/api/queues']) {
      const res = await fetch(`${front.url}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(res.headers.get(GATEWAY_MARKER)).toBe('?1');
    }
    const keys = await fetch(`${front.url}/api/v1/admin/keys`, {
      headers: { 'x-api-key': env.adminKey },
    });
    expect(keys.status).toBe(200);
  });

  it('routes the API document (401 without a key) and the docs page with its own CSP', async () => {
    const doc = await fetch(`${front.url}/api/v1/openapi.json`);
    expect(doc.status).toBe(401);
    expect(doc.headers.get(GATEWAY_MARKER)).toBe('?1');
    const withKey = await fetch(`${front.url}/api/v1/openapi.json`, {
      headers: { 'x-api-key': clientKey },
    });
    expect(withKey.status).toBe(200);
    const page = await fetch(`${front.url}/api/v1/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const bundle = await fetch(`${front.url}/api/v1/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
  });

  it('routes the operator console to the gateway, with the console’s own CSP', async () => {
    const page = await fetch(`${front.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get(GATEWAY_MARKER)).toBe('?1');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = String(page.headers.get('content-security-policy'));
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    expect((await fetch(`${front.url}${String(script)}`)).status).toBe(200);
    const bare = await fetch(`${front.url}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/console/');
    // The console's session endpoint is admin API: routed, and refused without a session.
    const session = await fetch(`${front.url}/api/v1/admin/session`);
    expect(session.status).toBe(401);
  });

  it('answers every other path with its own JSON 404', async () => {
    for (const path of [
      '/',
      '/nope',
      '/index.html',
      '/.env',
      '/v1',
      '/v2/models',
      '/api/v2/me',
      '/admin',
      '/admin/queuesx',
      '/consolex',
      '/metrics',
    ]) {
      const res = await fetch(`${front.url}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      await expectNginxError(res, 404, 'not_found');
    }
  });

  it('answers a request nginx cannot parse with a JSON 400, not an HTML page', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(front.port, '127.0.0.1', () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (data += d));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    const [head = '', body = ''] = reply.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toMatch(/^Content-Type: application\/json$/im);
    expect(head).toMatch(/^X-Content-Type-Options: nosniff$/im);
    expect(JSON.parse(body)).toMatchObject({ error: { type: 'invalid_request' } });
  });

  it('refuses a body over the cap with a JSON 413 before the gateway sees it', async () => {
    const before = upstream.requests.length;
    const over = await fetch(`${front.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
      body: chatBodyOfSize(BODY_CAP + 1),
    });
    await expectNginxError(over, 413, 'payload_too_large');
    expect(upstream.requests.length).toBe(before);

    // Exactly at the cap, nginx lets it through and the gateway (same cap) takes it.
    const at = await fetch(`${front.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
      body: chatBodyOfSize(BODY_CAP),
    });
    expect(at.status).toBe(200);
    expect(((await at.json()) as { object: string }).object).toBe('chat.completion');
  });

  it('streams SSE chunk by chunk, not buffered until the end', async () => {
    upstream.setBehaviour('oa', { kind: 'ok', chunks: 20, chunkIntervalMs: 100 });
    try {
      const started = performance.now();
      const res = await fetch(`${front.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
        body: chatBody('stream please', true),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(res.headers.get('x-accel-buffering')).toBeNull(); // consumed by nginx
      if (!res.body) throw new Error('no response body');
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const arrivals: { at: number; text: string }[] = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arrivals.push({
          at: performance.now() - started,
          text: decoder.decode(value, { stream: true }),
        });
      }
      const text = arrivals.map((a) => a.text).join('');
      for (let i = 0; i < 20; i++) expect(text).toContain(`tok${i} `);
      expect(text).toContain('data: [DONE]');

      const when = (token: string) => arrivals.find((a) => a.text.includes(token))?.at ?? NaN;
      const first = when('tok0 ');
      const last = when('tok19 ');
      // 20 chunks 100 ms apart: the first must arrive about 1.9 s before the last.
      expect(last - first).toBeGreaterThan(1_200);
      expect(arrivals.filter((a) => a.text.includes('tok')).length).toBeGreaterThanOrEqual(10);
    } finally {
      upstream.setBehaviour('oa', { kind: 'ok' });
    }
  });

  it('ignores forwarding headers from the client: spoofed addresses share one bucket', async () => {
    const key = (await createKey(gw.url, env.adminKey)).key;
    const me = (headers: Record<string, string>, localAddress?: string) =>
      raw(strictFront.url, '/api/v1/me', {
        headers: { 'x-api-key': key, ...headers },
        localAddress,
      });
    const spoofed = () => ({ 'X-Forwarded-For': randomIp(), 'CF-Connecting-IP': randomIp() });

    for (let i = 0; i < 3; i++) expect((await me(spoofed())).status).toBe(200);
    const variants: Record<string, string>[] = [
      spoofed(),
      { 'X-Forwarded-For': randomIp() },
      { 'CF-Connecting-IP': randomIp() },
    ];
    for (const headers of variants) {
      const limited = await me(headers);
      // The gateway's 429 (its rate-limit headers and error shape), not nginx's coarse one.
      expect(limited.status).toBe(429);
      expect(limited.headers['x-ratelimit-limit']).toBe('3');
      expect(JSON.parse(limited.body)).toEqual({
        error: {
          type: 'rate_limited',
          message: expect.any(String) as unknown,
          request_id: limited.headers['x-request-id'],
        },
      });
    }

    // nginx does forward the real address: another client has its own bucket.
    expect((await me({}, '127.0.0.3')).status).toBe(200);

    // From the trusted hop, CF-Connecting-IP is the client.
    const viaTunnel = randomIp();
    for (let i = 0; i < 3; i++)
      expect((await me({ 'CF-Connecting-IP': viaTunnel }, TRUSTED_HOP)).status).toBe(200);
    expect((await me({ 'CF-Connecting-IP': viaTunnel }, TRUSTED_HOP)).status).toBe(429);
    let other = randomIp();
    while (other === viaTunnel) other = randomIp();
    expect((await me({ 'CF-Connecting-IP': other }, TRUSTED_HOP)).status).toBe(200);

    const log = await strictFront.output();
    expect(log).toContain(`"client":"${viaTunnel}"`);
    expect(log).toContain('"client":"127.0.0.3"');
  });

  it('answers a dead gateway with a JSON 502 and a flood with its own JSON 429', async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${deadFront.url}/health`);
      statuses.push(res.status);
      if (res.status === 502) await expectNginxError(res, 502, 'upstream_error');
      else if (res.status === 429) limited = res;
      else await res.body?.cancel();
    }
    expect(statuses[0]).toBe(502);
    expect(statuses.at(-1)).toBe(429);
    if (!limited) throw new Error('no 429');
    expect(limited.headers.get('retry-after')).toBe('1');
    await expectNginxError(limited, 429, 'rate_limited');
  });

  it('counts an IPv6 client by its /64, and an IPv4-mapped one as its IPv4 address', async () => {
    // From the trusted hop, CF-Connecting-IP is the client. 1 r/s with a burst of 1: a client's
    // third request within a second is refused.
    const health = (client: string) =>
      raw(tightFront.url, '/health', {
        headers: { 'CF-Connecting-IP': client },
        localAddress: TRUSTED_HOP,
      });
    // Three addresses of one /64, each written its own way.
    expect((await health('2001:db8:64:1::1')).status).toBe(200);
    expect((await health('2001:0DB8:0064:0001:FFFF:FFFF:FFFF:FF0A')).status).toBe(200);
    const third = await health('2001:db8:64:1:0:0:0:2');
    await expectNginxError(asResponse(third), 429, 'rate_limited');
    // The next /64 is another client.
    expect((await health('2001:db8:64:2::1')).status).toBe(200);

    // ::ffff:a.b.c.d is the IPv4 client a.b.c.d, as in the gateway: not a bucket of its own,
    // and not one bucket for every IPv4-mapped address (they all lie in ::/64).
    expect((await health('::ffff:198.51.100.64')).status).toBe(200);
    expect((await health('198.51.100.64')).status).toBe(200);
    expect((await health('::ffff:198.51.100.64')).status).toBe(429);
    expect((await health('::ffff:198.51.100.65')).status).toBe(200);
  });

  it('puts the queue board behind the same per-client limit as the API', async () => {
    const get = (path: string) =>
      raw(tightFront.url, path, {
        headers: { 'CF-Connecting-IP': '203.0.113.64' },
        localAddress: TRUSTED_HOP,
      });
    const board = await get('/admin/queues');
    expect(board.status).toBe(401); // the gateway's answer: nginx let it through
    expect(board.headers[GATEWAY_MARKER]).toBe('?1');
    expect((await get('/api/v1/me')).status).toBe(401);
    // The board's API shares the client's one bucket, and nginx refuses it before the gateway.
    const refused = await get('/admin/queues/api/queues');
    await expectNginxError(asResponse(refused), 429, 'rate_limited');
  });

  it('refuses a client past NGINX_CONN_PER_IP requests in flight with its JSON 429', async () => {
    const from = (client: string) => ({
      headers: { 'CF-Connecting-IP': client },
      localAddress: TRUSTED_HOP,
    });
    // Two requests in flight from one /64 (two of its addresses): the cap of 2 is reached.
    const held = [
      await holdRequest(connFront.port, from('2001:db8:c0:1::1')),
      await holdRequest(connFront.port, from('2001:db8:c0:1::2')),
    ];
    try {
      const refused = await raw(connFront.url, '/health', from('2001:db8:c0:1:abcd::3'));
      await expectNginxError(asResponse(refused), 429, 'rate_limited');
      expect(refused.headers['retry-after']).toBe('1');
      expect(await connFront.output()).toContain('limiting connections');

      // Other clients are not affected: another /64, an IPv4 client.
      expect((await raw(connFront.url, '/health', from('2001:db8:c0:2::1'))).status).toBe(200);
      expect((await raw(connFront.url, '/health', from('198.51.100.192'))).status).toBe(200);

      // A request that ends gives its slot back.
      held.pop()?.destroy();
      await waitFor(
        async () => (await raw(connFront.url, '/health', from('2001:db8:c0:1::4'))).status === 200,
        5_000,
      );
    } finally {
      for (const socket of held) socket.destroy();
    }
  });

  it('follows a recreated gateway to its new address without a restart', async () => {
    // Docker's part played on loopback: a name in a DNS server nginx asks (support/dns-stub.ts,
    // with Docker's 600 s TTL), a gateway that goes away and comes back on another address and
    // the same port, as a recreated container does.
    const dns = await startDnsStub();
    const name = 'gateway.gatehouse.test';
    const port = await freePort();
    const before = await spawnGateway(env.env, { host: '127.0.0.1', port });
    let after: Gateway | undefined;
    let follower: RunningNginx | undefined;
    const health = async () => {
      const res = await fetch(`${follower?.url}/health`);
      await res.body?.cancel();
      return { status: res.status, fromGateway: res.headers.get(GATEWAY_MARKER) === '?1' };
    };
    try {
      dns.set(name, '127.0.0.1');
      follower = await startNginx({
        GATEWAY_UPSTREAM: `${name}:${port}`,
        NGINX_RESOLVER: dns.address,
      });
      expect(await health()).toEqual({ status: 200, fromGateway: true });

      // The recreate: the old container and its name go ...
      await before.stop();
      dns.set(name, undefined);
      await waitFor(async () => (await health()).status === 502, 10_000);
      // ... and the new one answers on another address. Only a fresh lookup can find it.
      after = await spawnGateway(env.env, { host: '127.0.0.3', port });
      dns.set(name, '127.0.0.3');
      await waitFor(
        async () => (await health()).status === 200,
        15_000,
        () => dns.queries.join(),
      );
      expect(await health()).toEqual({ status: 200, fromGateway: true });
      expect(dns.queries.filter((q) => q === name).length).toBeGreaterThanOrEqual(2);
    } finally {
      await follower?.stop();
      await after?.stop();
      await before.stop();
      await dns.close();
    }
  }, 90_000);
});
