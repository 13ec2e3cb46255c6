import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Counter } from 'prom-client';
import { createMetricsRegistry } from './metrics-registry.js';
import { listeningPort, startMetricsServer, stopMetricsServer } from './metrics-server.js';
import { bearerTokenCheck } from './bearer-token.js';
import { registerQueueDepths } from './queue-depth.js';

describe('bearerTokenCheck', () => {
  const token = randomBytes(32).toString('hex');
  const check = bearerTokenCheck(token);

  it('accepts the token and nothing else', () => {
    expect(check(`Bearer ${token}`)).toBe(true);
    expect(check(undefined)).toBe(false);
    expect(check(token)).toBe(false);
    expect(check(`Basic ${token}`)).toBe(false);
    expect(check(`Bearer ${token.slice(1)}`)).toBe(false);
    expect(check(`Bearer ${token}x`)).toBe(false);
  });
});

describe('metrics server', () => {
  const token = randomBytes(32).toString('hex');
  const registry = createMetricsRegistry('test-app', false);
  const hits = new Counter({ name: 'gatehouse_test_hits_total', help: 'h', registers: [registry] });
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = await startMetricsServer({ registry, host: '127.0.0.1', port: 0, token });
    base = `http://127.0.0.1:${listeningPort(server)}`;
  });
  afterAll(() => stopMetricsServer(server));

  const get = (path: string, auth?: string) =>
    fetch(`${base}${path}`, { headers: auth ? { authorization: auth } : {} });

  it('serves the registry with the app label, and the values as they are now', async () => {
    hits.inc(3);
    const res = await get('/metrics', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(registry.contentType);
    expect(await res.text()).toContain('gatehouse_test_hits_total{app="test-app"} 3');
  });

  it('answers 401 without the token, 404 elsewhere, 405 for other methods', async () => {
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', 'Bearer wrong')).status).toBe(401);
    expect((await get('/', `Bearer ${token}`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(post.status).toBe(405);
  });

  it('collects process metrics only when they are served', async () => {
    const served = createMetricsRegistry('a', true);
    expect(await served.metrics()).toContain('gatehouse_process_cpu_seconds_total');
    expect(await createMetricsRegistry('b', false).metrics()).not.toContain('process_cpu');
  });
});

describe('queue depths', () => {
  it('reads counts at scrape time and leaves out a queue Redis cannot answer for', async () => {
    const registry = createMetricsRegistry('q', false);
    let waiting = 2;
    registerQueueDepths(registry, [
      {
        name: 'proxy',
        getJobCounts: () => Promise.resolve({ waiting, active: 1, failed: 0, delayed: 4 }),
      },
      { name: 'audit', getJobCounts: () => Promise.reject(new Error('down')) },
    ]);
    const first = await registry.metrics();
    expect(first).toContain('gatehouse_queue_jobs{queue="proxy",state="waiting",app="q"} 2');
    expect(first).toContain('gatehouse_queue_jobs{queue="proxy",state="delayed",app="q"} 4');
    expect(first).not.toContain('queue="audit"');
    waiting = 7;
    expect(await registry.metrics()).toContain(
      'gatehouse_queue_jobs{queue="proxy",state="waiting",app="q"} 7',
    );
  });
});
