import { randomBytes } from 'node:crypto';
import { type DnsStub, startDnsStub } from './support/dns-stub.js';
import { type RunningNginx, startNginx } from './support/nginx.js';
import { freePort, type SpawnedApp, spawnGateway, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

type Gateway = SpawnedApp & { url: string };

/**
 * `docker compose up --scale gateway=N`, played on loopback: Docker's DNS answers the service name
 * with one address per replica (support/dns-stub.ts stands in for it), every replica listens on
 * the same port, and the production nginx template must spread requests over all of them and
 * follow the set as replicas come and go, without a restart. Needs `npm run build` and nginx.
 */
describe('nginx in front of gateway replicas (compose --scale)', () => {
  const NAME = 'gateway.gatehouse.test';
  /** Loopback addresses standing in for the replicas' container addresses. */
  const ADDRESSES = ['127.0.0.1', '127.0.0.3', '127.0.0.4'] as const;
  let env: TestEnv;
  let dns: DnsStub;
  let port: number;
  let front: RunningNginx;
  const replicas = new Map<string, Gateway>();
  const run = randomBytes(4).toString('hex');
  let sent = 0;

  /** GET /health through nginx with a request id of our own; the status and that id. */
  const health = async (): Promise<{ status: number; id: string }> => {
    // Fixed width, so that no id is a prefix of another in the logs.
    const id = `scale-${run}-${String(++sent).padStart(6, '0')}`;
    const res = await fetch(`${front.url}/health`, { headers: { 'x-request-id': id } });
    await res.body?.cancel();
    return { status: res.status, id };
  };
  /** How many of these requests each replica's access log names. */
  const servedBy = (ids: string[]): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const [address, gw] of replicas) {
      const log = gw.output();
      counts[address] = ids.filter((id) => log.includes(id)).length;
    }
    return counts;
  };

  /** servedBy, once every request has its log line (a line is written after the response). */
  const servedByAll = async (ids: string[]): Promise<Record<string, number>> => {
    const total = () => Object.values(servedBy(ids)).reduce((a, b) => a + b, 0);
    await waitFor(() => Promise.resolve(total() >= ids.length), 5_000);
    return servedBy(ids);
  };

  beforeAll(async () => {
    // The access log (info) is how a test tells which replica served a request.
    env = await createTestEnv({ TRUSTED_PROXIES: '127.0.0.1', LOG_LEVEL: 'info' });
    dns = await startDnsStub();
    port = await freePort();
    for (const address of ADDRESSES.slice(0, 2)) {
      replicas.set(address, await spawnGateway(env.env, { host: address, port }));
    }
    dns.set(NAME, ADDRESSES.slice(0, 2));
    front = await startNginx({
      GATEWAY_UPSTREAM: `${NAME}:${port}`,
      NGINX_RESOLVER: dns.address,
      // Requests come back to back here; the coarse per-client limit is not under test.
      NGINX_RATE_PER_SECOND: '10000',
      NGINX_RATE_BURST: '10000',
    });
  });

  afterAll(async () => {
    await front?.stop();
    for (const gw of replicas.values()) await gw.stop();
    await dns?.close();
    await env?.cleanup();
  });

  it('spreads requests over every replica the name resolves to', async () => {
    // nginx picks among the addresses a lookup gave per request, close to a coin toss each: with
    // 40 requests a share under 5 is a one-in-five-million event (with 20 it was one in a hundred,
    // and it happened).
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const { status, id } = await health();
      expect(status).toBe(200);
      ids.push(id);
    }
    const counts = await servedByAll(ids);
    // Every request was served by exactly one replica, and both replicas took a share.
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(ids.length);
    expect(counts[ADDRESSES[0]]).toBeGreaterThanOrEqual(5);
    expect(counts[ADDRESSES[1]]).toBeGreaterThanOrEqual(5);
  });

  it('sends requests to a replica added later, without a restart', async () => {
    const added = ADDRESSES[2];
    replicas.set(added, await spawnGateway(env.env, { host: added, port }));
    dns.set(NAME, ADDRESSES);
    // nginx keeps an answer for `valid=5s`, then asks again and finds the third address.
    await waitFor(
      async () => {
        const ids: string[] = [];
        for (let i = 0; i < 9; i++) ids.push((await health()).id);
        return servedBy(ids)[added] > 0;
      },
      20_000,
      () => dns.queries.join(),
    );
    expect(dns.queries.filter((q) => q === NAME).length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('keeps answering while a replica goes away, then stops asking it', async () => {
    const removed = ADDRESSES[0];
    const statuses: number[] = [];
    // A scale-down: the container stops first, and its DNS record goes with it.
    await replicas.get(removed)?.stop();
    for (let i = 0; i < 10; i++) statuses.push((await health()).status);
    dns.set(NAME, ADDRESSES.slice(1));
    // Within valid=5s nginx has the new set; the requests in between must not fail either:
    // nginx tries the next address when a connection is refused (proxy_next_upstream error).
    const until = Date.now() + 7_000;
    while (Date.now() < until) {
      statuses.push((await health()).status);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await health()).id);
    const counts = await servedByAll(ids);
    expect(counts[ADDRESSES[1]] + counts[ADDRESSES[2]]).toBe(ids.length);
    // nginx's error log shows the refused connection it retried elsewhere.
    expect(await front.output()).toMatch(/connect\(\) failed \(111: Connection refused\)/);
  }, 60_000);
});
