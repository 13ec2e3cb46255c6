import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type pg from 'pg';
import { generateCredentialKeyPair } from '@gatehouse/crypto';
import { dbClient, spawnAudit } from './support/audit-kit.js';
import { freePort, type SpawnedApp, spawnGateway, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const CLI = resolve(import.meta.dirname, '../dist/apps/cli/src/main.js');

type Run = { code: number | null; stdout: string; stderr: string };

/**
 * The built `gatehouse` CLI as an operator runs it, against a real gateway and audit app: what
 * it prints, its exit codes, and that no secret it handles leaks into its output.
 */
describe('gatehouse CLI', () => {
  let env: TestEnv;
  let gw: SpawnedApp & { url: string };
  let audit: SpawnedApp;
  let db: pg.Client;
  let home: string;
  /** Every run's output: the admin key must appear in none of it. */
  const runs: Run[] = [];

  /** Runs the CLI with only the variables given (plus PATH and an empty config home). */
  function cli(
    args: string[],
    options: { env?: Record<string, string>; input?: string; auth?: boolean } = {},
  ): Promise<Run> {
    const auth =
      options.auth === false ? {} : { GATEHOUSE_URL: gw.url, GATEHOUSE_ADMIN_KEY: env.adminKey };
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: home, ...auth, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(options.input ?? '');
    return new Promise((res) =>
      child.once('close', (code) => {
        const run = { code, stdout, stderr };
        runs.push(run);
        res(run);
      }),
    );
  }

  async function json<T>(args: string[], options?: Parameters<typeof cli>[1]): Promise<T> {
    const run = await cli(['--json', ...args], options);
    if (run.code !== 0) throw new Error(`gatehouse ${args.join(' ')}: ${run.code} ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  }

  const me = (secret: string) =>
    fetch(`${gw.url}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });

  beforeAll(async () => {
    env = await createTestEnv({
      AUDIT_BATCH_WAIT_MS: '20',
      CREDENTIALS_PUBLIC_KEY: generateCredentialKeyPair().publicKey,
      // The suite's failed authentications (two) stay under it; the last test then reaches it.
      AUTH_FAILURE_LIMIT: '4',
    });
    [gw, audit] = await Promise.all([spawnGateway(env.env), spawnAudit(env.env)]);
    db = await dbClient(env.database.url);
    home = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([gw?.stop(), audit?.stop()]);
    await db?.end();
    await env?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  }, 30_000);

  it('documents the exit codes in --help', async () => {
    const run = await cli(['--help'], { auth: false });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Exit codes:/);
    expect(run.stdout).toMatch(/3\s+authentication/);
    expect(run.stdout).toMatch(/7\s+audit chain broken/);
  });

  describe('keys', () => {
    it('creates a key with its limits and prints the secret once, which then works', async () => {
      const run = await cli([
        'keys',
        'create',
        '--name',
        'cli app',
        '--models',
        'gpt-4o-mini,gpt-4o',
        '--rpm',
        '60',
        '--tokens-per-day',
        '100000',
        '--cost-per-month',
        '500',
        '--pii-policy',
        'block',
        '--allow-ip',
        '127.0.0.1',
        '--allow-ip',
        '::1',
        '--expires-at',
        '2099-01-01T00:00:00Z',
      ]);
      expect(run.code).toBe(0);
      const secret = run.stdout.trimEnd().split('\n').at(-1) ?? '';
      expect(secret).toMatch(/^gk_[0-9a-f]{8}_[0-9A-Za-z]{32,}$/);
      expect(run.stdout.split(secret)).toHaveLength(2); // exactly once
      expect(run.stderr).toMatch(/not shown again/);
      expect(run.stdout).toMatch(/name\s+cli app/);

      const res = await me(secret);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        name: 'cli app',
        allowed_models: ['gpt-4o-mini', 'gpt-4o'],
        requests_per_minute: 60,
        tokens_per_day: 100000,
        cost_per_month: 500,
        allowed_ips: ['127.0.0.1', '::1'],
        expires_at: '2099-01-01T00:00:00.000Z',
      });
    });

    it('lists, gets, rotates and revokes keys, with --json for scripts', async () => {
      const created = await json<{ id: string; key: string; prefix: string }>([
        'keys',
        'create',
        '--name',
        'rotating',
      ]);
      expect(created.key).toMatch(/^gk_/);
      expect((await me(created.key)).status).toBe(200);

      const table = await cli(['keys', 'list']);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+PREFIX\s+NAME\s+STATUS/);
      expect(table.stdout).toContain(created.prefix);
      expect(table.stdout).not.toContain(created.key);

      const page = await json<{ data: { id: string }[] }>([
        'keys',
        'list',
        '--limit',
        '1',
        '--all',
      ]);
      expect(page.data.map((k) => k.id)).toContain(created.id);
      expect(page.data.length).toBeGreaterThanOrEqual(2);

      const got = await cli(['keys', 'get', created.id]);
      expect(got.code).toBe(0);
      expect(got.stdout).toMatch(new RegExp(`id\\s+${created.id}`));
      expect(got.stdout).toMatch(/status\s+active/);

      const rotated = await json<{ key: string; prefix: string }>(['keys', 'rotate', created.id]);
      expect(rotated.key).not.toBe(created.key);
      await waitFor(async () => (await me(created.key)).status === 401, 5_000);
      expect((await me(rotated.key)).status).toBe(200);

      const revoked = await cli(['keys', 'revoke', created.id]);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toMatch(/status\s+revoked/);
      expect(revoked.stdout).not.toContain(rotated.key);
      await waitFor(async () => (await me(rotated.key)).status === 401, 5_000);
    });

    it('exits 4 for an unknown key and 2 for a malformed id or option', async () => {
      const missing = await cli(['keys', 'get', randomUUID()]);
      expect(missing.code).toBe(4);
      expect(missing.stderr).toMatch(/Not found \(404\)/);

      expect((await cli(['keys', 'get', '../accounts'])).code).toBe(2);
      const badOption = await cli(['keys', 'create', '--rpm', 'lots']);
      expect(badOption.code).toBe(2);
      expect(badOption.stderr).toMatch(/--rpm/);
      const refused = await cli(['keys', 'create', '--allow-ip', 'not-an-ip']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/Invalid request \(400\).*allowed_ips/);
    });
  });

  describe('accounts', () => {
    it('creates an account from a credential on stdin that never shows, then pauses, resumes, deletes', async () => {
      const credential = `sk-test-${randomBytes(24).toString('base64url')}`;
      const created = await cli(
        [
          'accounts',
          'create',
          '--name',
          'cli upstream',
          '--provider',
          'openai',
          '--base-url',
          'https://api.openai.example/v1',
          '--models',
          'gpt-4o-mini',
          '--priority',
          '5',
        ],
        { input: `${credential}\n` },
      );
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/credential\s+set \(sealed under /);
      const id = /^id\s+(\S+)$/m.exec(created.stdout)?.[1] ?? '';
      expect(id).toMatch(/^[0-9a-f-]{36}$/);

      const listed = await json<{ data: { id: string; status: string; priority: number }[] }>([
        'accounts',
        'list',
      ]);
      expect(listed.data.find((a) => a.id === id)).toMatchObject({ status: 'active', priority: 5 });
      const table = await cli(['accounts', 'list']);
      expect(table.stdout).toMatch(
        /cli upstream\s+openai\s+https:\/\/api\.openai\.example\/v1\s+active/,
      );

      expect((await json<{ status: string }>(['accounts', 'pause', id])).status).toBe('paused');
      expect((await json<{ status: string }>(['accounts', 'resume', id])).status).toBe('active');
      const deleted = await cli(['accounts', 'delete', id]);
      expect(deleted.code).toBe(0);
      expect(deleted.stdout).toContain(`Deleted account ${id}`);
      expect((await cli(['accounts', 'get', id])).code).toBe(4);

      for (const run of runs) {
        expect(run.stdout).not.toContain(credential);
        expect(run.stderr).not.toContain(credential);
      }
    });

    it('refuses to create an account without a credential (exit 2)', async () => {
      const run = await cli(
        [
          'accounts',
          'create',
          '--name',
          'x',
          '--provider',
          'openai',
          '--base-url',
          'https://a.example',
        ],
        { input: '' },
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/nothing was given/);
    });
  });

  it('reports usage with filters, as a table with totals and as JSON', async () => {
    const keyA = randomUUID();
    const keyB = randomUUID();
    await db.query(
      `INSERT INTO usage_daily (day, key_id, model, requests, errors, tokens_in, tokens_out, cost_micros)
       VALUES ('2027-03-01', $1, 'gpt-4o', 10, 1, 1000, 200, 2500000),
              ('2027-03-02', $1, 'gpt-4o-mini', 5, 0, 500, 50, 0),
              ('2027-03-02', $2, 'gpt-4o', 7, 2, 700, 70, 1000000)`,
      [keyA, keyB],
    );
    const report = await json<{
      data: { model: string; requests: number }[];
      totals: { requests: number; errors: number; cost_usd: number };
    }>(['usage', '--since', '2027-03-01', '--until', '2027-03-31', '--group-by', 'model']);
    expect(report.data).toEqual([
      expect.objectContaining({ model: 'gpt-4o', requests: 17 }),
      expect.objectContaining({ model: 'gpt-4o-mini', requests: 5 }),
    ]);
    expect(report.totals).toMatchObject({ requests: 22, errors: 3, cost_usd: 3.5 });

    const byKey = await json<{ totals: { requests: number } }>([
      'usage',
      '--since',
      '2027-03-01',
      '--key',
      keyA,
      '--model',
      'gpt-4o',
    ]);
    expect(byKey.totals.requests).toBe(10);

    const table = await cli(['usage', '--since', '2027-03-01', '--until', '2027-03-31']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DAY\s+REQUESTS\s+ERRORS\s+TOKENS IN\s+TOKENS OUT\s+COST USD$/);
    expect(lines[1]).toMatch(/^2027-03-01\s+10\s+1\s+1000\s+200\s+2\.5$/);
    expect(lines.at(-1)).toMatch(/^TOTAL\s+22\s+3\s+2200\s+320\s+3\.5$/);

    expect((await cli(['usage', '--since', 'March'])).code).toBe(2);
  });

  it('shows the gateway health', async () => {
    const run = await cli(['health']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^gateway: ok/);
    expect(run.stdout).toMatch(/postgres\s+ok/);
    expect(run.stdout).toMatch(/redis\s+ok/);
    const health = await json<{ status: string; queues: Record<string, unknown> }>(['health']);
    expect(health.status).toBe('ok');
    expect(Object.keys(health.queues)).toContain('audit');
  });

  describe('audit', () => {
    it('tails recent events, verifies the chain and prints its signed head', async () => {
      const key = await json<{ id: string }>(['keys', 'create', '--name', 'audited']);
      let lines: { type: string; key_id: string | null; seq: string }[] = [];
      await waitFor(async () => {
        const run = await cli(['--json', 'audit', 'tail', '-n', '50', '--type', 'key.created']);
        lines = run.stdout
          .trimEnd()
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => JSON.parse(l) as (typeof lines)[number]);
        return lines.some((e) => e.key_id === key.id);
      }, 20_000);
      expect(lines.every((e) => e.type === 'key.created')).toBe(true);
      const seqs = lines.map((e) => BigInt(e.seq));
      expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : 1))); // oldest first

      const human = await cli(['audit', 'tail', '-n', '5', '--key', key.id]);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(new RegExp(`key\\.created\\s+admin\\s+key=${key.id}`));

      const verified = await cli(['audit', 'verify']);
      expect(verified.code).toBe(0);
      expect(verified.stdout).toMatch(/chain\s+ok/);

      const headRun = await cli(['--json', 'audit', 'head']);
      expect(headRun.code).toBe(0);
      expect(headRun.stdout.trimEnd().split('\n')).toHaveLength(1); // appendable to a .jsonl file
      const head = JSON.parse(headRun.stdout) as { seq: string; token: string };
      expect(head.token).toMatch(/^ah1\./);
      const withHead = await json<{ ok: boolean; expected_head: { status: string } }>([
        'audit',
        'verify',
        '--expect-head',
        head.token,
      ]);
      expect(withHead).toMatchObject({ ok: true, expected_head: { status: 'present' } });
    });

    it('follows new events for a bounded time', async () => {
      const started = Date.now();
      const following = cli(['audit', 'tail', '-n', '1', '-f', '--interval', '1', '--for', '3']);
      await new Promise((r) => setTimeout(r, 1_500));
      const key = await json<{ id: string }>(['keys', 'create', '--name', 'followed']);
      const run = await following;
      expect(run.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(run.stdout).toContain(`key=${key.id}`);
    });

    it('exits 7 and names the first broken record when the chain is broken', async () => {
      const { rows } = await db.query<{ seq: string; event_id: string }>(
        `SELECT seq::text AS seq, event_id::text AS event_id FROM audit_events ORDER BY seq LIMIT 1`,
      );
      const first = rows[0];
      if (!first) throw new Error('no audit events stored');
      await db.query(`UPDATE audit_events SET data = '{"tampered":true}'::jsonb WHERE seq = $1`, [
        first.seq,
      ]);
      const run = await cli(['audit', 'verify']);
      expect(run.code).toBe(7);
      expect(run.stdout).toMatch(/chain\s+BROKEN/);
      expect(run.stderr).toContain(`broken at seq ${first.seq} (event ${first.event_id})`);
      const asJson = await cli(['--json', 'audit', 'verify']);
      expect(asJson.code).toBe(7);
      expect(JSON.parse(asJson.stdout)).toMatchObject({ ok: false, first_broken_seq: first.seq });
    });
  });

  describe('configuration', () => {
    const configFile = () => join(home, 'gatehouse', 'config.json');

    it('reads URL and key from a 0600 config file and refuses one others can read', async () => {
      const file = join(home, 'explicit.json');
      writeFileSync(file, JSON.stringify({ url: gw.url, admin_key: env.adminKey }), {
        mode: 0o600,
      });
      chmodSync(file, 0o600);
      const ok = await cli(['keys', 'list'], { auth: false, env: { GATEHOUSE_CONFIG: file } });
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^ID\s+PREFIX/);

      chmodSync(file, 0o644);
      const refused = await cli(['keys', 'list'], { auth: false, env: { GATEHOUSE_CONFIG: file } });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/permissions 0644 .*chmod 600/);
      expect(refused.stdout).toBe('');
    });

    it('login checks the key, then writes it to a 0600 file later runs use', async () => {
      const wrong = await cli(['login', '--url', gw.url], {
        auth: false,
        input: `gha_${randomBytes(24).toString('hex')}\n`,
      });
      expect(wrong.code).toBe(3);
      expect(existsSync(configFile())).toBe(false);

      const run = await cli(['login', '--url', gw.url], {
        auth: false,
        input: `${env.adminKey}\n`,
      });
      expect(run.code).toBe(0);
      expect(statSync(configFile()).mode & 0o777).toBe(0o600);
      const listed = await cli(['--json', 'keys', 'list'], { auth: false });
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toHaveProperty('data');
    });

    it('exits 2 with no URL and refuses plain http to a remote host', async () => {
      const none = await cli(['keys', 'list'], {
        auth: false,
        env: { GATEHOUSE_CONFIG: join(home, 'absent.json') },
      });
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/No gateway URL/);
      const remote = await cli(['keys', 'list'], {
        env: { GATEHOUSE_URL: 'http://gateway.example' },
      });
      expect(remote.code).toBe(2);
      expect(remote.stderr).toMatch(/plain http/);
    });
  });

  describe('failures scripts can tell apart', () => {
    it('exits 3 with a clear message for a wrong admin key or a client key', async () => {
      const wrong = await cli(['keys', 'list'], {
        env: { GATEHOUSE_ADMIN_KEY: `gha_${randomBytes(24).toString('hex')}` },
      });
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toMatch(/Authentication failed \(401\).*admin key was not accepted/);

      const client = await json<{ key: string }>(['keys', 'create', '--name', 'not admin']);
      const denied = await cli(['keys', 'list'], { env: { GATEHOUSE_ADMIN_KEY: client.key } });
      expect(denied.code).toBe(3);
      expect(denied.stderr).toMatch(/Permission denied \(403\)/);
      expect(denied.stderr).not.toContain(client.key);
    });

    it('exits 6 when the gateway cannot be reached', async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const run = await cli(['health'], { env: { GATEHOUSE_URL: url } });
      expect(run.code).toBe(6);
      expect(run.stderr).toMatch(/Cannot reach the gateway .*connection refused/);
    });

    // Last: the lockout refuses this address on every route, whatever key it presents.
    it('exits 5 and shows Retry-After once the address is locked out (429)', async () => {
      let run: Run | undefined;
      for (let i = 0; i < 6 && run?.code !== 5; i++) {
        run = await cli(['keys', 'list'], {
          env: { GATEHOUSE_ADMIN_KEY: `gha_${randomBytes(24).toString('hex')}` },
        });
      }
      expect(run?.code).toBe(5);
      expect(run?.stderr).toMatch(/Rate limited \(429\).*Retry after \d+ s\./);
      const locked = await cli(['keys', 'list']);
      expect(locked.code).toBe(5);
    });
  });

  it('never printed the admin key, in any run', () => {
    expect(runs.length).toBeGreaterThan(30);
    for (const run of runs) {
      expect(run.stdout).not.toContain(env.adminKey);
      expect(run.stderr).not.toContain(env.adminKey);
    }
  });
});
