import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { type Browser } from 'playwright-core';
import request from 'supertest';
import { launchChromium } from './support/chromium.js';
import { createKey } from './support/admin-client.js';
import { expectError } from './support/expect-error.js';
import { type SpawnedApp, spawnGateway } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

type Gateway = SpawnedApp & { url: string };
const BOARD = '/admin/queues';
const QUEUES = ['proxy', 'audit', 'audit-maintenance'];

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function directives(csp: unknown): Map<string, string> {
  expect(typeof csp).toBe('string');
  return new Map(
    String(csp)
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name = '', ...values] = d.split(/\s+/);
        return [name, values.join(' ')] as const;
      }),
  );
}

describe('Bull Board at /admin/queues', () => {
  let env: TestEnv;
  let gw: Gateway;
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
  }, 30_000);

  describe('authentication', () => {
    it('asks a browser for HTTP Basic when no credentials are sent', async () => {
      const res = await request(gw.url).get(BOARD);
      expectError(res, 401, 'authentication_error');
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="Gatehouse admin"/);
    });

    it('protects everything under the board, its API and static files included', async () => {
      for (const path of [
        `${BOARD}/`,
        `${BOARD}/api/queues`,
        `${BOARD}/static/images/logo.svg`,
        `${BOARD}/queue/proxy`,
      ]) {
        const res = await request(gw.url).get(path);
        expectError(res, 401, 'authentication_error');
        expect(res.headers['www-authenticate']).toMatch(/^Basic /);
      }
      const put = await request(gw.url).put(`${BOARD}/api/queues/proxy/pause`);
      expectError(put, 401, 'authentication_error');
    });

    it('refuses a wrong password, and a wrong key header, with 401', async () => {
      const wrong = randomBytes(24).toString('hex');
      const res = await request(gw.url).get(BOARD).set('Authorization', basic('admin', wrong));
      expectError(res, 401, 'authentication_error');
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="Gatehouse admin"/);
      const header = await request(gw.url).get(`${BOARD}/api/queues`).set('x-api-key', wrong);
      expectError(header, 401, 'authentication_error');
    });

    it('refuses a client key with 403, however it is presented', async () => {
      expectError(
        await request(gw.url).get(BOARD).set('Authorization', basic('admin', clientKey)),
        403,
        'permission_denied',
      );
      expectError(
        await request(gw.url).get(BOARD).set('x-api-key', clientKey),
        403,
        'permission_denied',
      );
      expectError(
        await request(gw.url)
          .get(`${BOARD}/api/queues`)
          .set('Authorization', `Bearer ${clientKey}`),
        403,
        'permission_denied',
      );
    });

    it('serves the page for the admin key as a Basic password (any user name) and as x-api-key', async () => {
      const viaBasic = await request(gw.url)
        .get(BOARD)
        .set('Authorization', basic('someone', admin))
        .expect(200);
      expect(viaBasic.headers['content-type']).toMatch(/^text\/html/);
      expect(viaBasic.text).toContain('<div id="root">');
      const viaHeader = await request(gw.url).get(BOARD).set('x-api-key', admin).expect(200);
      expect(viaHeader.headers['content-type']).toMatch(/^text\/html/);
    });

    it('answers the board API for the admin key as x-api-key and as a bearer token', async () => {
      for (const auth of [{ 'x-api-key': admin }, { Authorization: `Bearer ${admin}` }]) {
        const res = await request(gw.url).get(`${BOARD}/api/queues`).set(auth).expect(200);
        const names = (res.body as { queues: { name: string }[] }).queues.map((q) => q.name);
        expect(names.sort()).toEqual([...QUEUES].sort());
      }
    });
  });

  describe('headers', () => {
    it('gives the board its own CSP, still never framed, and leaves the API policy alone', async () => {
      const board = await request(gw.url).get(BOARD).set('x-api-key', admin).expect(200);
      const api = await request(gw.url).get('/api/v1/me').set('x-api-key', clientKey).expect(200);
      expect(board.headers['content-security-policy']).not.toEqual(
        api.headers['content-security-policy'],
      );

      const boardCsp = directives(board.headers['content-security-policy']);
      expect(boardCsp.get('frame-ancestors')).toBe("'none'");
      expect(boardCsp.get('default-src')).toBe("'none'");
      expect(boardCsp.get('script-src')).toBe("'self'");
      expect(boardCsp.get('connect-src')).toBe("'self'");
      expect(String(board.headers['content-security-policy'])).not.toMatch(/unsafe-eval|\*/);
      // Inline styles only (the UI renders <style> elements), never inline scripts.
      expect(boardCsp.get('style-src')).toBe("'self' 'unsafe-inline'");

      const apiCsp = directives(api.headers['content-security-policy']);
      expect(apiCsp.get('default-src')).toBe("'none'");
      expect(apiCsp.get('frame-ancestors')).toBe("'none'");
      expect(apiCsp.has('script-src')).toBe(false);
    });

    it('keeps the other security headers on board responses and does not announce Express', async () => {
      for (const path of [BOARD, `${BOARD}/api/queues`, `${BOARD}/static/images/logo.svg`]) {
        const res = await request(gw.url).get(path).set('x-api-key', admin).expect(200);
        expect(res.headers['x-powered-by']).toBeUndefined();
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['x-request-id']).toEqual(expect.any(String));
        expect(directives(res.headers['content-security-policy']).get('frame-ancestors')).toBe(
          "'none'",
        );
      }
    });

    it('keeps the API CSP on refused board requests', async () => {
      const res = await request(gw.url).get(BOARD).expect(401);
      expect(directives(res.headers['content-security-policy']).get('script-src')).toBeUndefined();
    });

    it('serves the page without third-party resources', async () => {
      const res = await request(gw.url).get(BOARD).set('x-api-key', admin).expect(200);
      expect(res.text).not.toMatch(/https?:\/\//);
      expect(res.text).toMatch(/<script defer src="static\/js\/main\.[0-9a-f]+\.js"><\/script>/);
    });
  });

  describe('read-only', () => {
    const queues = new Map<string, Queue>();
    const queueOf = (name: string): Queue => {
      const found = queues.get(name);
      if (!found) throw new Error(`no queue ${name}`);
      return found;
    };

    beforeAll(() => {
      for (const name of QUEUES) {
        queues.set(
          name,
          new Queue(name, {
            connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: 1 },
            prefix: `{${env.redisPrefix}}`,
          }),
        );
      }
    });

    afterAll(async () => {
      await Promise.all([...queues.values()].map((q) => q.close()));
    });

    /** Everything observable about a queue that an action could change. */
    async function stateOf(name: string): Promise<unknown> {
      const q = queueOf(name);
      const jobs = await q.getJobs(['waiting', 'delayed', 'failed', 'completed']);
      return {
        paused: await q.isPaused(),
        counts: await q.getJobCounts(),
        jobs: jobs
          .map((j) => ({ id: j.id, data: j.data as unknown, delay: j.opts.delay }))
          .sort((a, b) => String(a.id).localeCompare(String(b.id))),
      };
    }

    it('refuses every action with 405 and changes nothing, the audit queue above all', async () => {
      const audit = queueOf('audit');
      const forged = { v: 1, type: 'key.created', actor: 'admin', data: { forged: true } };
      const delayed = await audit.add('audit-event', forged, { delay: 60_000 });
      const failed = await queueOf('proxy').add('proxy', { n: 1 }, { delay: 60_000 });
      const before = await Promise.all(QUEUES.map(stateOf));

      const actions: [method: 'put' | 'post' | 'patch', path: string, body?: object][] = [
        ['put', '/api/queues/pause'],
        ['put', '/api/queues/resume'],
        ['put', '/api/queues/audit/pause'],
        ['put', '/api/queues/audit/resume'],
        ['put', '/api/queues/audit/clean/delayed'],
        ['put', '/api/queues/audit/clean/completed'],
        ['put', '/api/queues/audit/retry/failed'],
        ['put', '/api/queues/audit/promote'],
        ['put', '/api/queues/audit/empty'],
        ['put', '/api/queues/audit/obliterate'],
        ['put', '/api/queues/audit/concurrency', { concurrency: 1 }],
        ['post', '/api/queues/audit/add', { name: 'audit-event', data: forged }],
        ['post', '/api/queues/proxy/add', { name: 'proxy', data: { keyId: 'any' } }],
        ['put', `/api/queues/audit/${delayed.id}/promote`],
        ['put', `/api/queues/audit/${delayed.id}/clean`],
        ['put', `/api/queues/audit/${delayed.id}/retry`],
        ['patch', `/api/queues/audit/${delayed.id}/update-data`, { jobData: { edited: 1 } }],
        ['patch', `/api/queues/proxy/${failed.id}/update-data`, { jobData: { edited: 1 } }],
      ];
      for (const [method, path, body] of actions) {
        const req = request(gw.url)[method](`${BOARD}${path}`).set('x-api-key', admin);
        const res = await (body ? req.send(body) : req);
        expect([res.status, method, path]).toEqual([405, method, path]);
        expectError(res, 405, 'method_not_allowed');
      }
      // As the board's own page would send it, with Basic and same-origin.
      const res = await request(gw.url)
        .put(`${BOARD}/api/queues/audit/pause`)
        .set('Authorization', basic('admin', admin))
        .set('Sec-Fetch-Site', 'same-origin');
      expectError(res, 405, 'method_not_allowed');

      expect(await Promise.all(QUEUES.map(stateOf))).toEqual(before);
      const listed = await request(gw.url)
        .get(`${BOARD}/api/queues`)
        .set('x-api-key', admin)
        .expect(200);
      for (const q of (listed.body as { queues: { readOnlyMode: boolean }[] }).queues) {
        expect(q.readOnlyMode).toBe(true);
      }
    });

    it('refuses actions another site makes a browser send with 403, before anything else', async () => {
      for (const headers of [
        { 'Sec-Fetch-Site': 'cross-site' },
        { 'Sec-Fetch-Site': 'same-site' },
        { Origin: 'https://attacker.example' },
      ]) {
        const res = await request(gw.url)
          .post(`${BOARD}/api/queues/proxy/add`)
          .set('Authorization', basic('admin', admin))
          .set(headers)
          .expect(403);
        expect(res.body.error.type).toBe('permission_denied');
      }
      await request(gw.url)
        .get(`${BOARD}/api/queues`)
        .set('Authorization', basic('admin', admin))
        .set('Sec-Fetch-Site', 'cross-site')
        .expect(200);
    });

    it('refuses a non-JSON body in the gateway error shape', async () => {
      const res = await request(gw.url)
        .patch(`${BOARD}/api/queues/audit-maintenance/1/update-data`)
        .set('x-api-key', admin)
        .set('Content-Type', 'text/plain')
        .send('n=3');
      expectError(res, 415, 'unsupported_media_type');
    });

    it('shows job data without prompts, bodies or credentials', async () => {
      const prompt = `a private prompt ${randomBytes(8).toString('hex')}`;
      const token = `sk-${randomBytes(24).toString('hex')}`;
      await queueOf('proxy').add(
        'proxy',
        {
          keyId: 'k',
          model: 'm',
          body: { model: 'm', messages: [{ role: 'user', content: prompt }] },
          headers: { 'x-note': `Bearer ${token}` },
        },
        { delay: 60_000 },
      );
      await queueOf('audit').add(
        'audit-event',
        { type: 'request.completed', data: { note: token }, bodies: { request: { prompt } } },
        { delay: 60_000 },
      );
      for (const name of ['proxy', 'audit']) {
        const res = await request(gw.url)
          .get(`${BOARD}/api/queues?activeQueue=${name}&status=delayed&page=1&jobsPerPage=50`)
          .set('x-api-key', admin)
          .expect(200);
        expect(res.text).toContain('bytes, not shown');
        expect(res.text).not.toContain(prompt);
        expect(res.text).not.toContain(token);
      }
    });
  });

  describe('in headless Chromium', () => {
    let browser: Browser;

    beforeAll(async () => {
      browser = await launchChromium();
    }, 30_000);

    afterAll(async () => {
      await browser?.close();
    });

    it('renders the queue list with HTTP Basic and no CSP violation or page error', async () => {
      const context = await browser.newContext({
        httpCredentials: { username: 'admin', password: admin },
      });
      try {
        const page = await context.newPage();
        const console: string[] = [];
        const pageErrors: string[] = [];
        const requested: string[] = [];
        const failed: string[] = [];
        page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
        page.on('pageerror', (e) => pageErrors.push(e.message));
        page.on('request', (r) => requested.push(r.url()));
        page.on('requestfailed', (r) => {
          const reason = r.failure()?.errorText ?? '';
          // The board polls its API; a poll in flight when the test navigates away is cancelled
          // by the browser itself (ERR_ABORTED), which says nothing about the server or the CSP.
          if (reason !== 'net::ERR_ABORTED') failed.push(`${r.url()}: ${reason}`);
        });
        page.on('response', (r) => {
          if (r.status() >= 400 && r.status() !== 401) failed.push(`${r.url()}: ${r.status()}`);
        });
        // Also caught in the page itself, in case a violation is not logged to the console.
        await page.addInitScript({
          content: `window.__csp = [];
            document.addEventListener('securitypolicyviolation', (e) => window.__csp.push([e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber, e.columnNumber].join(' ')));`,
        });

        const response = await page.goto(`${gw.url}${BOARD}`, { waitUntil: 'load' });
        expect(response?.status()).toBe(200);
        for (const name of QUEUES) {
          await page
            .getByText(name, { exact: true })
            .first()
            .waitFor({ state: 'visible', timeout: 20_000 });
        }
        // Open one queue, so that its page and API calls run under the policy too.
        await page.goto(`${gw.url}${BOARD}/queue/audit-maintenance`, { waitUntil: 'networkidle' });
        await page
          .getByText('audit-maintenance', { exact: true })
          .first()
          .waitFor({ state: 'visible' });

        const violations = await page.evaluate<string[]>('window.__csp');
        expect(violations).toEqual([]);
        expect(console.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
        expect(pageErrors).toEqual([]);
        expect(failed).toEqual([]);
        expect(requested.length).toBeGreaterThan(3);
        expect(requested.filter((u) => !u.startsWith(gw.url))).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);

    it('does not render the board for a browser with a client key as the password', async () => {
      const context = await browser.newContext({
        httpCredentials: { username: 'admin', password: clientKey },
      });
      try {
        const page = await context.newPage();
        const response = await page.goto(`${gw.url}${BOARD}`);
        expect(response?.status()).toBe(403);
        expect(await page.content()).not.toContain('id="root"');
      } finally {
        await context.close();
      }
    }, 30_000);
  });
});

describe('Bull Board and the brute-force lockout', () => {
  let env: TestEnv;
  let gw: Gateway;

  beforeAll(async () => {
    env = await createTestEnv({ AUTH_FAILURE_LIMIT: '2', AUTH_LOCKOUT_SECONDS: '60' });
    gw = await spawnGateway(env.env);
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await env?.cleanup();
  }, 30_000);

  it('counts wrong board passwords, then locks the address out of the board and the API', async () => {
    const wrong = basic('admin', randomBytes(24).toString('hex'));
    // AUTH_FAILURE_LIMIT failures are answered 401; the one after them locks the address out.
    expectError(
      await request(gw.url).get(BOARD).set('Authorization', wrong),
      401,
      'authentication_error',
    );
    expectError(
      await request(gw.url).get(BOARD).set('x-api-key', randomBytes(24).toString('hex')),
      401,
      'authentication_error',
    );
    expectError(await request(gw.url).get(BOARD).set('Authorization', wrong), 429, 'rate_limited');

    const board = await request(gw.url)
      .get(BOARD)
      .set('Authorization', basic('admin', env.adminKey));
    expectError(board, 429, 'rate_limited');
    expect(Number(board.headers['retry-after'])).toBeGreaterThan(0);
    const api = await request(gw.url).get('/api/v1/admin/keys').set('x-api-key', env.adminKey);
    expectError(api, 429, 'rate_limited');
  });
});
