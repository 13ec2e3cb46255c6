import request from 'supertest';
import { createAccount, createKey } from './support/admin-client.js';
import { spawnAudit } from './support/audit-kit.js';
import {
  type MockUpstream,
  LOOPBACK_UPSTREAM,
  startMockUpstream,
} from './support/mock-upstream.js';
import {
  type SpawnedApp,
  freePort,
  spawnGateway,
  spawnWorker,
  waitFor,
} from './support/spawn-app.js';
import { createTestEnv, randomSecret, type TestEnv, credentialKeyEnv } from './support/test-env.js';

type Sample = { name: string; labels: Record<string, string>; value: number };

/**
 * A strict reader of the text exposition format (0.0.4): every line a comment (# HELP / # TYPE
 * with a known type) or a sample `name{label="value",...} number`. Throws on anything else.
 */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const sampleLine =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?(?:[0-9.e+-]+|Inf|NaN|\+Inf))(?: -?[0-9]+)?$/;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type =
      /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = sampleLine.exec(line);
    if (!m) throw new Error(`not exposition format: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[k] = v!;
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { types, samples };
}

/** The sum of a metric's samples whose labels include `match`. */
function total(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe('Prometheus metrics', () => {
  let env: TestEnv;
  let upstream: MockUpstream;
  let gw: SpawnedApp & { url: string };
  let worker: SpawnedApp;
  let audit: SpawnedApp;
  const token = randomSecret();
  const ports = { gateway: 0, worker: 0, audit: 0 };
  let clientKey: string;
  let limitedKey: string;

  const scrape = async (port: number, withToken = true) =>
    fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: withToken ? { authorization: `Bearer ${token}` } : {},
    });
  const read = async (port: number) => {
    const res = await scrape(port);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    return parseExposition(await res.text());
  };

  beforeAll(async () => {
    upstream = await startMockUpstream();
    env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      ...credentialKeyEnv(),
      METRICS_TOKEN: token,
    });
    ports.gateway = await freePort();
    ports.worker = await freePort();
    ports.audit = await freePort();
    gw = await spawnGateway({ ...env.env, METRICS_PORT: String(ports.gateway) });
    worker = await spawnWorker({ ...env.env, METRICS_PORT: String(ports.worker) });
    audit = await spawnAudit({ ...env.env, METRICS_PORT: String(ports.audit) });
    await createAccount(gw.url, env.adminKey, {
      name: 'oa',
      provider: 'openai',
      base_url: upstream.openaiBase('oa'),
      credential: `sk-${randomSecret()}`,
      models: ['gpt-test'],
    });
    clientKey = (await createKey(gw.url, env.adminKey)).key;
    limitedKey = (await createKey(gw.url, env.adminKey, { requests_per_minute: 1 })).key;
  });

  afterAll(async () => {
    await gw?.stop();
    await worker?.stop();
    await audit?.stop();
    await upstream?.close();
    await env?.cleanup();
  });

  it('serves the exposition format with every required name, and the values move with traffic', async () => {
    const before = {
      gateway: (await read(ports.gateway)).samples,
      worker: (await read(ports.worker)).samples,
      audit: (await read(ports.audit)).samples,
    };
    const chat = (key: string, body: Record<string, unknown> = {}) =>
      request(gw.url)
        .post('/v1/chat/completions')
        .set('x-api-key', key)
        .send({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], ...body });
    await chat(clientKey).expect(200);
    const streamed = await chat(clientKey, { stream: true }).expect(200);
    expect(streamed.text).toContain('data: [DONE]');
    await chat(`gk_00000000_${'x'.repeat(32)}`).expect(401);
    await chat(limitedKey).expect(200);
    await chat(limitedKey).expect(429);

    const gateway = await read(ports.gateway);
    for (const name of [
      'gatehouse_http_requests_total',
      'gatehouse_gateway_overhead_seconds',
      'gatehouse_admission_rejections_total',
      'gatehouse_auth_failures_total',
      'gatehouse_open_streams',
      'gatehouse_queue_jobs',
      'gatehouse_process_cpu_seconds_total',
      'gatehouse_nodejs_eventloop_lag_seconds',
    ]) {
      expect(gateway.types.has(name)).toBe(true);
    }
    const route = '/v1/chat/completions';
    const requests = (status: string, key_class: string) =>
      total(gateway.samples, 'gatehouse_http_requests_total', { route, status, key_class }) -
      total(before.gateway, 'gatehouse_http_requests_total', { route, status, key_class });
    expect(requests('200', 'client')).toBe(3);
    expect(requests('401', 'anonymous')).toBe(1);
    // Refused before admission named a principal: counted without a key class.
    expect(requests('429', 'anonymous')).toBe(1);
    const moved = (name: string, match: Record<string, string> = {}) =>
      total(gateway.samples, name, match) - total(before.gateway, name, match);
    expect(moved('gatehouse_admission_rejections_total', { reason: 'key_limit' })).toBe(1);
    expect(moved('gatehouse_auth_failures_total', { reason: 'invalid_key' })).toBe(1);
    expect(moved('gatehouse_gateway_overhead_seconds_count', { mode: 'json' })).toBe(2);
    expect(moved('gatehouse_gateway_overhead_seconds_count', { mode: 'stream' })).toBe(1);
    expect(total(gateway.samples, 'gatehouse_open_streams')).toBe(0); // the stream has ended
    // Route templates and key classes only: never a key, an id or an address in a label.
    for (const s of gateway.samples) {
      expect(JSON.stringify(s.labels)).not.toMatch(/gk_|127\.0\.0\.1/);
    }
    // Read from Redis at scrape time: every state of every queue the gateway feeds.
    const depths = gateway.samples.filter((s) => s.name === 'gatehouse_queue_jobs');
    for (const queue of ['proxy', 'audit', 'audit-maintenance']) {
      expect(
        depths
          .filter((s) => s.labels.queue === queue)
          .map((s) => s.labels.state)
          .sort(),
      ).toEqual(['active', 'delayed', 'failed', 'waiting']);
    }

    const workerNow = await read(ports.worker);
    const workerMoved = (name: string, match: Record<string, string> = {}) =>
      total(workerNow.samples, name, match) - total(before.worker, name, match);
    for (const name of [
      'gatehouse_upstream_request_duration_seconds',
      'gatehouse_upstream_first_byte_seconds',
      'gatehouse_upstream_attempts_total',
      'gatehouse_upstream_failovers_total',
      'gatehouse_upstream_accounts_cooling_down',
      'gatehouse_proxy_job_wait_seconds',
      'gatehouse_queue_jobs',
      'gatehouse_process_resident_memory_bytes',
    ]) {
      expect(workerNow.types.has(name)).toBe(true);
    }
    expect(
      workerMoved('gatehouse_upstream_attempts_total', { provider: 'openai', outcome: 'answered' }),
    ).toBe(3);
    expect(workerMoved('gatehouse_upstream_first_byte_seconds_count')).toBe(3);
    expect(workerMoved('gatehouse_proxy_job_wait_seconds_count')).toBe(3);
    expect(total(workerNow.samples, 'gatehouse_upstream_accounts_cooling_down')).toBe(0);

    // Audit writes in batches: wait until this traffic's events are stored.
    let auditNow = await read(ports.audit);
    await waitFor(async () => {
      auditNow = await read(ports.audit);
      return (
        total(auditNow.samples, 'gatehouse_audit_events_written_total') -
          total(before.audit, 'gatehouse_audit_events_written_total') >=
        5
      );
    }, 15_000);
    for (const name of [
      'gatehouse_audit_events_written_total',
      'gatehouse_audit_batch_size',
      'gatehouse_audit_batch_duration_seconds',
      'gatehouse_audit_dead_letters_total',
      'gatehouse_audit_lag_seconds',
      'gatehouse_audit_chain_length',
      'gatehouse_queue_jobs',
      'gatehouse_process_cpu_seconds_total',
    ]) {
      expect(auditNow.types.has(name)).toBe(true);
    }
    expect(total(auditNow.samples, 'gatehouse_audit_batch_size_count')).toBeGreaterThan(
      total(before.audit, 'gatehouse_audit_batch_size_count'),
    );
    expect(total(auditNow.samples, 'gatehouse_audit_chain_length')).toBeGreaterThanOrEqual(
      total(auditNow.samples, 'gatehouse_audit_events_written_total'),
    );
  });

  it('refuses a scrape without the token, or with a wrong one', async () => {
    for (const port of Object.values(ports)) {
      const res = await scrape(port, false);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
      expect(await res.text()).not.toContain('gatehouse_');
      const wrong = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${randomSecret()}` },
      });
      expect(wrong.status).toBe(401);
    }
  });

  it('is not served on the public port, and the metrics port serves nothing but /metrics', async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('gatehouse_http_requests_total');
    const other = await fetch(`http://127.0.0.1:${ports.gateway}/health`);
    expect(other.status).toBe(404);
  });

  it('never logs the token', () => {
    for (const app of [gw, worker, audit]) {
      expect(app.output()).not.toContain(token);
    }
    expect(worker.output()).toContain('(bearer token required)');
  });
});
