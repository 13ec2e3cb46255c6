import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { generateCredentialKeyPair } from '@gatehouse/crypto';
import { Redis } from 'ioredis';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { launchChromium } from './support/chromium.js';
import { PROJECT_ROOT } from './support/project-root.js';
import { type SpawnedApp, spawnGateway, spawnStandalone } from './support/spawn-app.js';
import { createTestEnv, randomSecret, type TestEnv } from './support/test-env.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

type Gateway = SpawnedApp & { url: string };

/** Screenshots for a reviewer (git-ignored). */
const SHOTS = join(PROJECT_ROOT, 'test-artifacts', 'console');

describe('the operator console in Chromium', () => {
  let env: TestEnv;
  let gw: Gateway;
  let audit: SpawnedApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let redis: Redis;
  /** Everything the pages reported that a strict CSP or a script error would cause. */
  const problems: string[] = [];

  const shot = (name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  /** axe-core over the page as it is now: nothing serious or critical. */
  async function expectAccessible(): Promise<void> {
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(serious).toEqual([]);
  }

  async function openPage(name: string, heading: string): Promise<void> {
    await page.getByRole('link', { name: heading, exact: true }).click();
    await page.waitForURL(`**/console/#/${name}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  async function signIn(): Promise<void> {
    await page.getByLabel('Admin key').fill(env.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    env = await createTestEnv({ CREDENTIALS_PUBLIC_KEY: generateCredentialKeyPair().publicKey });
    gw = await spawnGateway(env.env);
    audit = await spawnStandalone('audit', env.env);
    redis = new Redis(TEST_REDIS_URL);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (e) =>
        console.error('Refused to ' + e.violatedDirective + ' ' + e.blockedURI));`,
    });
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    redis?.disconnect();
    await audit?.stop();
    await gw?.stop();
    await env?.cleanup();
  }, 30_000);

  it('serves the console with a strict CSP and the API’s other headers', async () => {
    const res = await request(gw.url).get('/console/').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    expect(res.text).not.toMatch(/https?:\/\//);
    expect(res.text).not.toMatch(/<script>|<style>| style=/);
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(res.text)?.[1];
    expect(asset).toBeDefined();
    const js = await request(gw.url).get(String(asset)).expect(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    for (const path of ['/console/assets/..%2F..%2Fpackage.json', '/console/package.json']) {
      expect((await request(gw.url).get(path)).status).toBe(404);
    }
  });

  it('asks for the admin key, then shows the overview', async () => {
    expect((await page.goto(`${gw.url}/console`))?.status()).toBe(200);
    expect(page.url()).toBe(`${gw.url}/console/`);
    await page.getByLabel('Admin key').waitFor();
    await expectAccessible();
    await shot('sign-in');
    await signIn();
    await page.getByText('Postgres: up').waitFor();
    await page.getByText('Redis: up').waitFor();
    await page.getByRole('rowheader', { name: 'proxy', exact: true }).waitFor();
    await page.getByText(/Intact: \d+ records checked/).waitFor();
    await expectAccessible();
    await shot('overview');
    // The key is gone from the page; the session cookie is HttpOnly, out of the page's reach.
    const stored = await page.evaluate<string>(
      'JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie + document.documentElement.outerHTML',
    );
    expect(stored).not.toContain(env.adminKey);
    const cookies = await context.cookies(gw.url + '/api/v1/admin');
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.path])).toEqual([
      ['gatehouse_console', true, 'Strict', '/api/v1/admin'],
    ]);
  }, 60_000);

  it('creates a key, shows its secret once, and revokes it after confirmation', async () => {
    await openPage('keys', 'Keys');
    await page.getByText('No keys yet.').waitFor();
    await expectAccessible();
    await page.getByLabel('Name', { exact: true }).fill('console test key');
    await page.getByLabel('Allowed models').fill('gpt-4o-mini, claude-haiku');
    await page.getByLabel('Requests per minute').fill('30');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByLabel('New key').textContent()) ?? '';
    expect(secret).toMatch(/^gk_[0-9a-f]{8}_/);
    await page.getByRole('rowheader', { name: /console test key/ }).waitFor();
    await shot('keys-secret-once');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByLabel('New key').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(secret);
    // The key works for a client until revoked.
    await request(gw.url).get('/api/v1/me').set('x-api-key', secret).expect(200);

    await page.getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.getByRole('button', { name: 'Revoke now' }).click();
    await page.locator('.badge.revoked').waitFor();
    await expectAccessible();
    await shot('keys');
    await request(gw.url).get('/api/v1/me').set('x-api-key', secret).expect(401);
  }, 60_000);

  it('adds an upstream account without the credential ever coming back, and pauses it', async () => {
    await openPage('accounts', 'Accounts');
    await page.getByText('No upstream accounts yet.').waitFor();
    const credential = `sk-${randomSecret()}`;
    await page.getByLabel('Name', { exact: true }).fill('primary');
    await page.getByLabel('Provider').selectOption('openai');
    await page.getByLabel('Base URL').fill('https://api.openai.example/v1');
    await page.getByLabel('Credential').fill(credential);
    await page.getByLabel('Models').fill('gpt-4o-mini');
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.getByRole('rowheader', { name: 'primary', exact: true }).waitFor();
    expect(await page.getByLabel('Credential').inputValue()).toBe('');
    expect(await page.content()).not.toContain(credential);
    // A cooldown proxy-worker set after a 429 shows in the list.
    const listed = await request(gw.url)
      .get('/api/v1/admin/accounts')
      .set('x-api-key', env.adminKey)
      .expect(200);
    const id = String((listed.body.data as { id: string }[])[0]?.id);
    expect(listed.body.data[0].cooldown_until).toBeNull();
    await redis.set(`${env.redisPrefix}:{accounts}:cooldown:${id}`, '1', 'PX', 600_000);
    await openPage('overview', 'Overview');
    await openPage('accounts', 'Accounts');
    await page.getByRole('cell', { name: /^until / }).waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('.badge.paused').waitFor();
    await expectAccessible();
    await shot('accounts');
  }, 60_000);

  it('shows usage for a date range, and the audit trail with the console’s own actions', async () => {
    await openPage('usage', 'Usage');
    await page.getByText(/Totals: 0 requests/).waitFor();
    await page.getByText('No usage in this range.').waitFor();
    await expectAccessible();
    await shot('usage');

    await openPage('audit', 'Audit');
    await page.getByText(/The chain is intact/).waitFor();
    // The audit app writes in batches: filter until the sign-in is there.
    await page.getByLabel('Type').fill('console.login');
    const deadline = Date.now() + 20_000;
    while (!(await page.getByRole('cell', { name: 'console.login' }).count())) {
      if (Date.now() > deadline) throw new Error('console.login never appeared');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForTimeout(500);
    }
    await page.getByRole('button', { name: 'Show' }).first().click();
    const detail = (await page.locator('pre.detail').textContent()) ?? '';
    expect(detail).toMatch(/"console_session": "[0-9a-f]{16}"/);
    expect(detail).not.toContain(env.adminKey);
    // Actions done in the session name it too.
    await page.getByLabel('Type').fill('key.revoked');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('cell', { name: 'key.revoked' }).waitFor();
    await page.getByLabel('Type').fill('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('cell', { name: 'key.created' }).first().waitFor();
    await expectAccessible();
    await shot('audit');
  }, 60_000);

  it('stays usable at a phone’s width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await openPage('keys', 'Keys');
      await page.getByRole('rowheader', { name: /console test key/ }).waitFor();
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await expectAccessible();
      await shot('keys-phone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  }, 60_000);

  it('is keyboard navigable: the skip link and the nav are reachable by Tab', async () => {
    await page.goto(`${gw.url}/console/#/overview`);
    await page.reload(); // a fresh page: nothing focused yet
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe(
      'Skip to content',
    );
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Keys');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Keys' }).waitFor();
  }, 60_000);

  it('refuses a cross-site form post, even with the session cookie in the browser', async () => {
    const attacker = 'http://attacker.test/';
    await page.route(attacker, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<form id="f" method="post" action="${gw.url}/api/v1/admin/keys" enctype="text/plain">
          <input name='{"name":"forged","x":"' value='"}'></form>
          <script>document.getElementById('f').submit()</script>`,
      }),
    );
    const forged = page.waitForResponse((r) => r.url() === `${gw.url}/api/v1/admin/keys`);
    await page.goto(attacker);
    const res = await forged;
    expect([401, 403, 415]).toContain(res.status());
    const keys = await request(gw.url).get('/api/v1/admin/keys').set('x-api-key', env.adminKey);
    expect((keys.body.data as { name: string }[]).map((k) => k.name)).not.toContain('forged');
    await page.unroute(attacker);
  }, 60_000);

  it('sends an expired session back to the sign-in form', async () => {
    await page.goto(`${gw.url}/console/#/overview`);
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    // The overview's own calls answered first: one of them refused after the deletion below
    // would sign the page out before the click (a race the test lost now and then).
    await page.getByText('Postgres: up').waitFor();
    await page.getByText(/Intact: \d+ records checked/).waitFor();
    // What the idle timeout does: the session's Redis key is gone.
    const sessions = await redis.keys(`${env.redisPrefix}:console-session:*`);
    expect(sessions.length).toBeGreaterThan(0);
    await redis.del(...sessions);
    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    await page.getByText('Your session has ended; sign in again.').waitFor();
    await page.getByLabel('Admin key').waitFor();
    await signIn();
  }, 60_000);

  it('signs out: the session is destroyed and the page asks for the key again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    await page.getByLabel('Admin key').waitFor();
    expect(await redis.keys(`${env.redisPrefix}:console-session:*`)).toEqual([]);
    await page.reload();
    await page.getByLabel('Admin key').waitFor();
  }, 60_000);

  it('had no CSP violation or script error on any page', () => {
    expect(problems).toEqual([]);
  });
});
