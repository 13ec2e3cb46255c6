import SwaggerParser from '@apidevtools/swagger-parser';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { launchChromium } from './support/chromium.js';
import { createKey } from './support/admin-client.js';
import { runScript } from './support/run-script.js';
import { type SpawnedApp, spawnGateway } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

type Operation = {
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { headers?: Record<string, unknown>; content?: unknown }>;
};
type OpenApiDoc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }>;
    schemas: Record<string, unknown>;
  };
};
type MountedRoute = { method: string; url: string };

const ROOT = resolve(import.meta.dirname, '..');
const SCRIPT = resolve(ROOT, 'dist/scripts/openapi.js');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/**
 * Mounted but deliberately not in the document, each with its reason. Anything else mounted must
 * be documented, and everything documented must be mounted.
 */
const UNDOCUMENTED: { route: RegExp; reason: string }[] = [
  { route: /^HEAD /, reason: "Fastify's automatic HEAD twin of every GET route" },
  { route: /^OPTIONS \*$/, reason: "the CORS plugin's preflight answer for every path" },
  {
    route: /^[A-Z]+ \/admin\/queues(\/|$)/,
    reason: 'the queue board (Bull Board): its page and internal API, admin key, read-only',
  },
  { route: /^GET \/api\/v1\/docs(\/\{file\})?$/, reason: 'the docs page: static files, not API' },
  { route: /^GET \/console(\/\*)?$/, reason: 'the operator console: static files, not API' },
  {
    route: /^(POST|GET|DELETE) \/api\/v1\/admin\/session$/,
    reason: "the console's browser session (cookie and CSRF token), not an API for programs",
  },
];

const routeKey = (method: string, path: string) =>
  `${method.toUpperCase()} ${path.replace(/:(\w+)/g, '{$1}')}`;

describe('OpenAPI document and docs page', () => {
  let t: TestEnv;
  let gateway: SpawnedApp & { url: string };
  let clientKey: string;
  let served: OpenApiDoc;
  let workDir: string;

  beforeAll(async () => {
    t = await createTestEnv();
    gateway = await spawnGateway(t.env);
    clientKey = (await createKey(gateway.url, t.adminKey, { name: 'openapi' })).key;
    const res = await request(gateway.url).get('/api/v1/openapi.json').set('x-api-key', clientKey);
    expect(res.status).toBe(200);
    served = res.body as OpenApiDoc;
    workDir = mkdtempSync(join(tmpdir(), 'gatehouse-openapi-'));
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await t?.cleanup();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const operations = (doc: OpenApiDoc) =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({
        key: routeKey(m, path),
        path,
        op: item[m],
      })),
    );

  describe('GET /api/v1/openapi.json', () => {
    it('needs a key: 401 without one or with an unknown one, in the error shape', async () => {
      const none = await request(gateway.url).get('/api/v1/openapi.json');
      expect(none.status).toBe(401);
      expect(none.body.error.type).toBe('authentication_error');
      const unknown = await request(gateway.url)
        .get('/api/v1/openapi.json')
        .set('authorization', `Bearer gk_00000000_${'x'.repeat(32)}`);
      expect(unknown.status).toBe(401);
    });

    it('answers a client key and the admin key (either header), counted per address', async () => {
      for (const [header, value] of [
        ['x-api-key', clientKey],
        ['authorization', `Bearer ${clientKey}`],
        ['x-api-key', t.adminKey],
        ['authorization', `Bearer ${t.adminKey}`],
      ] as const) {
        const res = await request(gateway.url).get('/api/v1/openapi.json').set(header, value);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.headers['x-ratelimit-limit']).toBeDefined();
        expect(res.headers['cache-control']).toBe('no-store');
        expect((res.body as OpenApiDoc).openapi).toMatch(/^3\./);
      }
    });

    it('is a valid OpenAPI 3 document', async () => {
      await expect(SwaggerParser.validate(structuredClone(served) as never)).resolves.toBeDefined();
    });

    it('is what `npm run openapi` writes for offline use', async () => {
      const file = join(workDir, 'openapi.json');
      const run = await runScript(process.execPath, [SCRIPT, file], { ...t.env, PATH: '' });
      expect(run.code).toBe(0);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(served);
    }, 60_000);
  });

  it('documents every route the gateway mounts, and no other', async () => {
    const file = join(workDir, 'routes.json');
    const run = await runScript(process.execPath, [SCRIPT, '--routes', file], {
      ...t.env,
      PATH: '',
    });
    expect(run.code).toBe(0);
    const mounted = (JSON.parse(readFileSync(file, 'utf8')) as MountedRoute[]).map((r) =>
      routeKey(r.method, r.url),
    );
    // The proxy's plain Fastify routes are among them (they bypass Nest's router).
    expect(mounted).toEqual(expect.arrayContaining(['POST /v1/chat/completions']));
    const documented = new Set(operations(served).map((o) => o.key));
    const exempt = (key: string) => UNDOCUMENTED.some((u) => u.route.test(key));
    const undocumented = [...new Set(mounted)].filter((k) => !exempt(k) && !documented.has(k));
    const stale = [...documented].filter((k) => !mounted.includes(k));
    expect(undocumented).toEqual([]);
    expect(stale).toEqual([]);
    // Each exception still names something mounted (a stale exception would hide nothing).
    for (const u of UNDOCUMENTED) expect(mounted.some((k) => u.route.test(k))).toBe(true);
  }, 60_000);

  it('declares the security schemes: x-api-key and Bearer, for client keys and the admin key', () => {
    const schemes = served.components.securitySchemes;
    expect(schemes['client-key']).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
    });
    expect(schemes['admin-key']).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
    expect(schemes['client-bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes['admin-bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('gives every admin route the admin key, and client routes client keys', () => {
    const schemesOf = (op: Operation) => (op.security ?? []).flatMap((s) => Object.keys(s));
    const ops = operations(served);
    const admin = ops.filter((o) => o.path.startsWith('/api/v1/admin/'));
    expect(admin.length).toBeGreaterThan(20);
    for (const { key, op } of admin) {
      expect({ key, schemes: schemesOf(op).sort() }).toEqual({
        key,
        schemes: ['admin-bearer', 'admin-key'],
      });
    }
    for (const key of ['POST /v1/chat/completions', 'POST /v1/messages', 'GET /v1/models']) {
      const op = ops.find((o) => o.key === key)?.op;
      expect(op && schemesOf(op).sort()).toEqual(['client-bearer', 'client-key']);
    }
    const probes = ops.filter((o) => o.key === 'GET /health' || o.key === 'GET /ready');
    expect(probes.map((o) => o.op.security)).toEqual([[{}], [{}]]);
  });

  it('documents the error responses of every route, in the shared error shape', () => {
    const errorShape = served.components.schemas.ErrorResponse;
    expect(JSON.stringify(errorShape)).toContain('ErrorDetail');
    expect(JSON.stringify(served.components.schemas.ErrorDetail)).toContain('budget_exceeded');
    for (const { key, path, op } of operations(served)) {
      const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
      expect({ key, errors: errors.length > 0 }).toEqual({ key, errors: true });
      for (const [status, response] of errors) {
        if (key === 'GET /ready' && status === '503') continue; // the probe's own body
        expect({ key, status, body: JSON.stringify(response.content) }).toEqual({
          key,
          status,
          body: expect.stringContaining('#/components/schemas/ErrorResponse'),
        });
      }
      const statuses = Object.keys(op.responses);
      if (path !== '/health' && path !== '/ready') {
        expect({ key, statuses }).toEqual({
          key,
          statuses: expect.arrayContaining(['401', '429']),
        });
      }
    }
  });

  it('documents a response shape for every success, and a body for every write', () => {
    for (const { key, op } of operations(served)) {
      const successes = Object.entries(op.responses).filter(([status]) => status < '300');
      expect({ key, successes: successes.length > 0 }).toEqual({ key, successes: true });
      for (const [status, response] of successes) {
        if (status === '204') continue;
        expect({ key, status, schema: response.content !== undefined }).toEqual({
          key,
          status,
          schema: true,
        });
      }
      const writes = /^(POST|PUT|PATCH) /.test(key) && !/\/(revoke|pause|resume|run)$/.test(key);
      if (writes) {
        expect({ key, body: op.requestBody?.content['application/json'] }).toEqual({
          key,
          body: { schema: expect.any(Object) },
        });
      }
    }
    const refOf = (key: string) =>
      JSON.stringify(operations(served).find((o) => o.key === key)?.op.requestBody);
    expect(refOf('POST /api/v1/admin/keys')).toContain('#/components/schemas/CreateKeyDto');
    expect(JSON.stringify(served.components.schemas.CreateKeyDto)).toContain('allowed_ips');
    // The proxy bodies come from their validator: the Anthropic body requires max_tokens.
    expect(refOf('POST /v1/messages')).toMatch(/"required":\[[^\]]*"max_tokens"/);
  });

  it('documents the request id, rate-limit, budget and Retry-After headers', () => {
    const ops = operations(served);
    for (const { key, op } of ops) {
      for (const response of Object.values(op.responses)) {
        expect({ key, headers: Object.keys(response.headers ?? {}) }).toEqual({
          key,
          headers: expect.arrayContaining(['X-Request-Id']),
        });
      }
    }
    const chat = ops.find((o) => o.key === 'POST /v1/chat/completions')?.op;
    expect(Object.keys(chat?.responses['200']?.headers ?? {})).toEqual(
      expect.arrayContaining([
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'X-Budget-Tokens-Day-Remaining',
        'X-Budget-Cost-Month-Limit',
      ]),
    );
    expect(Object.keys(chat?.responses['429']?.headers ?? {})).toContain('Retry-After');
    const keys = ops.find((o) => o.key === 'GET /api/v1/admin/keys')?.op;
    expect(Object.keys(keys?.responses['200']?.headers ?? {})).toContain('X-RateLimit-Remaining');
  });

  describe('docs page', () => {
    it('is served from local files under a strict CSP', async () => {
      const page = await request(gateway.url).get('/api/v1/docs');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
      const html = page.text;
      // No inline script: every script is a file of this page.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
      expect(assets.length).toBeGreaterThanOrEqual(3);
      for (const asset of assets) {
        expect(asset).toMatch(/^\/api\/v1\/docs\//);
        const res = await request(gateway.url).get(asset);
        expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
        expect(res.headers['content-security-policy']).toBe(csp);
      }
    });

    it('renders the document in Chromium once given a key, with no CSP violation', async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        const requested: string[] = [];
        page.on('pageerror', (e) => problems.push(e.message));
        page.on('console', (m) => {
          if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
        });
        page.on('request', (r) => requested.push(r.url()));
        await page.addInitScript({
          content: `document.addEventListener('securitypolicyviolation', (e) =>
            console.error('Refused to ' + e.violatedDirective + ' ' + e.blockedURI));`,
        });
        expect((await page.goto(`${gateway.url}/api/v1/docs`))?.status()).toBe(200);
        await page.fill('#api-key', clientKey);
        await page.click('button[type=submit]');
        await page
          .getByText('/api/v1/admin/keys', { exact: true })
          .first()
          .waitFor({ state: 'visible', timeout: 20_000 });
        expect(problems).toEqual([]);
        expect(requested.filter((u) => !u.startsWith(gateway.url))).toEqual([]);
        // The key is held by the page, not stored where another page could read it.
        const stored = await page.evaluate<string>(
          'JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie',
        );
        expect(stored).not.toContain(clientKey);
      } finally {
        await browser.close();
      }
    }, 60_000);

    it('holds no part of the document, and serves only its own files', async () => {
      const page = await request(gateway.url).get('/api/v1/docs/docs-page.js');
      expect(page.text).toContain('/api/v1/openapi.json');
      expect(page.text).not.toContain('/api/v1/admin/');
      for (const path of ['/api/v1/docs/package.json', '/api/v1/docs/..%2F..%2Fpackage.json']) {
        const res = await request(gateway.url).get(path);
        expect(res.status).toBe(404);
        expect(res.body.error.type).toBe('not_found');
      }
    });
  });
});
