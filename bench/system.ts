/**
 * Starts and tears down everything the benchmark measures: its own Postgres database and Redis
 * key prefix, the mock upstream, the built gateway and proxy-worker, the floor's worker and (for
 * the audit cases, on demand) the audit app, each as a child process. The database, the key
 * prefix and ports come from test/support, as the e2e suites' do; the children are spawned here,
 * with their output capped, since the apps log a line per request under load.
 */
import { generateCredentialKeyPair } from '@gatehouse/crypto';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { resolve } from 'node:path';
import { freePort } from '../test/support/spawn-app.js';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database.js';
import { createRedisNamespace } from '../test/support/test-redis.js';
import { sleep } from './stats.js';
import { HEAP_PROBE_ARGS } from './live-heap.js';

export { freePort };

/** dist/ when running the built bench (dist/bench/*.js). */
const DIST = resolve(import.meta.dirname, '..');
const ROOT = resolve(DIST, '..');

export const REDIS_URL =
  process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const POSTGRES_ADMIN_URL =
  process.env.BENCH_POSTGRES_URL ??
  process.env.TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

export type Child = {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
  /** Started with the heap probe, so live-heap.ts can read its live heap. */
  heapProbe: boolean;
};

/**
 * Runs one of the built entry points (or another Node script, with `args` and its own `cwd`) as a
 * child process, output captured (last 64 KiB).
 */
export function spawnNode(
  name: string,
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
  opts: { args?: string[]; cwd?: string; heapProbe?: boolean } = {},
): Child {
  const heapProbe = opts.heapProbe === true;
  const probe = heapProbe ? HEAP_PROBE_ARGS : [];
  const child = spawn(process.execPath, [...nodeArgs, ...probe, script, ...(opts.args ?? [])], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last 64 KiB or so, kept as chunks: the apps log a line per request at the product's
  // default level, and re-slicing one string per chunk would load the bench's own core.
  const chunks: Buffer[] = [];
  let kept = 0;
  const keep = (d: Buffer) => {
    chunks.push(d);
    kept += d.length;
    while (kept - (chunks[0]?.length ?? 0) >= 65_536) kept -= chunks.shift()?.length ?? 0;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const out = () => Buffer.concat(chunks).toString();
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    name,
    child,
    heapProbe,
    output: out,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  child?: Child,
): Promise<void> {
  let gone = false;
  void child?.exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  const why = gone ? `${child?.name ?? 'process'} exited` : `not within ${timeoutMs} ms`;
  throw new Error(`${what}: ${why}\n${child?.output() ?? ''}`);
}

/** The port a child says it listens on (`listening <port>` on stdout), once it says so. */
async function listeningPort(what: string, child: Child): Promise<number> {
  let port = 0;
  await waitFor(
    what,
    () => {
      const m = /listening (\d+)/.exec(child.output());
      if (m) port = Number(m[1]);
      return Promise.resolve(m !== null);
    },
    30_000,
    child,
  );
  return port;
}

/** The pid Redis reports, if that process is on this machine and is a Redis server. */
async function localRedisPid(): Promise<number | undefined> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info('server');
    const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
    if (!Number.isInteger(pid)) return undefined;
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('redis') ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

export type BenchSystem = {
  prefix: string;
  gatewayUrl: string;
  gateway: Child;
  worker: Child;
  mockUrl: string;
  /**
   * The Redis server's pid when it runs on this machine (its CPU is charged per request like the
   * apps'): every hop of the design costs Redis work too.
   */
  redisPid: number | undefined;
  clientKey: string;
  /** A key with token and request budgets (far from used up): every request reserves and settles. */
  budgetKey: string;
  /** The benchmark's own database (the one every app uses). */
  databaseUrl: string;
  /** AUDIT_EVENT_KEY of every app: events put on the audit queue by hand are signed with it. */
  auditEventKey: string;
  /** Base URL (…/v1) of the mock with this behaviour; also an account's base_url. */
  mockBase(delayMs: number, chunks?: number, intervalMs?: number): string;
  startFloorWorker(queue: string, concurrency: number): Promise<Child>;
  /** The bare relay (relay-front.ts + relay-worker.ts) in front of the mock; `url` is its origin. */
  startRelay(queue: string, concurrency: number): Promise<Relay>;
  /** One audit app (dist/apps/audit), with the gateway's env; resolves once it says it started. */
  startAudit(): Promise<Child>;
  cleanup(): Promise<void>;
};

export type Relay = { url: string; front: Child; worker: Child; stop(): Promise<void> };

export type Account = { model: string; delayMs: number; chunks: number; intervalMs: number };

export type SystemOptions = {
  accounts: Account[];
  /** Extra node flags for gateway and worker (e.g. --cpu-prof, not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
};

/**
 * Everything up and ready: the first request through Gatehouse has been answered. `cleanup`
 * is safe to call at any point, also after a partial start.
 */
export async function startSystem(opts: SystemOptions): Promise<BenchSystem> {
  const children: Child[] = [];
  const redis = createRedisNamespace({ url: REDIS_URL, prefixStem: 'ghbench' });
  const prefix = redis.prefix;
  let database: TestDatabase | undefined;
  let cleaned: Promise<void> | undefined;

  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
      await redis.cleanup().catch((err: Error) => console.error(`redis cleanup: ${err.message}`));
      await database
        ?.drop()
        .catch((err: Error) => console.error(`database cleanup: ${err.message}`));
    })());

  try {
    database = await createTestDatabase({
      adminUrl: POSTGRES_ADMIN_URL,
      namePrefix: 'gatehouse_bench_',
    });

    const mock = spawnNode('mock-upstream', resolve(DIST, 'bench/mock-upstream.js'), {});
    children.push(mock);
    const mockPort = await listeningPort('mock upstream', mock);
    const mockUrl = `http://127.0.0.1:${mockPort}`;
    const mockBase = (delayMs: number, chunks = 0, intervalMs = 0) =>
      `${mockUrl}/mock/${delayMs}/${chunks}/${intervalMs}/v1`;

    const pair = generateCredentialKeyPair();
    const adminKey = `gha_${randomBytes(24).toString('hex')}`;
    const port = await freePort();
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      // The product's default: one access-log line per request is part of what is measured.
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      ADMIN_API_KEY: adminKey,
      KEY_PEPPER: randomBytes(32).toString('hex'),
      AUDIT_EVENT_KEY: randomBytes(32).toString('hex'),
      // Read by the audit app alone (the others, in test mode, ignore it).
      AUDIT_CHAIN_KEY: randomBytes(32).toString('hex'),
      CREDENTIALS_PUBLIC_KEY: pair.publicKey,
      CREDENTIALS_PRIVATE_KEYS: pair.privateKey,
      RATE_LIMIT_KEY_PER_MIN: '1000000',
      RATE_LIMIT_IP_PER_MIN: '1000000',
      // Like the rates: one key and one address carry every client of every case, and at 256
      // clients a cap of 256 refuses the overlap between one phase's last requests and the next's.
      KEY_MAX_CONCURRENT: '100000',
      STREAMS_MAX_PER_IP: '100000',
      // No PROXY_WORKER_CONCURRENCY: the bench measures proxy-worker with the product's default.
      // The mock upstream is on loopback, which the worker refuses unless allowed.
      UPSTREAM_ALLOWED_HOSTS: '127.0.0.1',
      // BENCH_METRICS=1: every app serves Prometheus metrics (a free port each), to measure
      // what recording them costs on the request path.
      ...(process.env.BENCH_METRICS === '1' ? { METRICS_PORT: '0' } : {}),
    };
    const gatewayUrl = `http://127.0.0.1:${port}`;
    // The gateway applies migrations first; the worker starts once they are in place.
    const gateway = spawnNode(
      'gateway',
      resolve(DIST, 'apps/gateway/src/main.js'),
      env,
      opts.nodeArgs,
      { heapProbe: true },
    );
    children.push(gateway);
    await waitFor('gateway', async () => (await fetch(`${gatewayUrl}/health`)).ok, 60_000, gateway);
    const worker = spawnNode(
      'proxy-worker',
      resolve(DIST, 'apps/proxy-worker/src/main.js'),
      {
        ...env,
        PORT: '0',
      },
      opts.nodeArgs,
      { heapProbe: true },
    );
    children.push(worker);

    const admin = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(`${gatewayUrl}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': adminKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status !== 201)
        throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    for (const a of opts.accounts) {
      await admin('/api/v1/admin/accounts', {
        name: `bench-${a.model}`,
        provider: 'openai',
        base_url: mockBase(a.delayMs, a.chunks, a.intervalMs),
        credential: `sk-bench-${randomBytes(16).toString('hex')}`,
        models: [a.model],
      });
    }
    const created = await admin('/api/v1/admin/keys', {
      name: 'bench',
      allowed_models: opts.accounts.map((a) => a.model),
    });
    const clientKey = String(created.key);
    const budgeted = await admin('/api/v1/admin/keys', {
      name: 'bench-budgets',
      allowed_models: opts.accounts.map((a) => a.model),
      tokens_per_minute: 2_000_000_000,
      tokens_per_day: 2_000_000_000,
      requests_per_day: 2_000_000_000,
    });
    const budgetKey = String(budgeted.key);

    // Ready when a request goes all the way through (worker consuming, accounts loaded).
    const first = opts.accounts[0];
    if (first) {
      await waitFor(
        'first request through Gatehouse',
        async () => {
          const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              model: first.model,
              messages: [{ role: 'user', content: 'hi' }],
            }),
            signal: AbortSignal.timeout(5_000),
          });
          await res.arrayBuffer();
          return res.ok;
        },
        60_000,
        worker,
      );
    }

    return {
      prefix,
      gatewayUrl,
      gateway,
      worker,
      mockUrl,
      redisPid: await localRedisPid(),
      clientKey,
      budgetKey,
      databaseUrl: database.url,
      auditEventKey: env.AUDIT_EVENT_KEY ?? '',
      mockBase,
      startFloorWorker: async (queue, concurrency) => {
        const floor = spawnNode('floor-worker', resolve(DIST, 'bench/floor-worker.js'), {
          REDIS_URL,
          BENCH_PREFIX: prefix,
          FLOOR_QUEUE: queue,
          FLOOR_CONCURRENCY: String(concurrency),
        });
        children.push(floor);
        await waitFor(
          'floor worker',
          () => Promise.resolve(floor.output().includes('ready')),
          30_000,
          floor,
        );
        return floor;
      },
      startRelay: async (queue, concurrency) => {
        const shared = { REDIS_URL, BENCH_PREFIX: prefix, RELAY_QUEUE: queue };
        const relayWorker = spawnNode('relay-worker', resolve(DIST, 'bench/relay-worker.js'), {
          ...shared,
          RELAY_UPSTREAM: mockUrl,
          RELAY_CONCURRENCY: String(concurrency),
        });
        const front = spawnNode('relay-front', resolve(DIST, 'bench/relay-front.js'), shared);
        children.push(relayWorker, front);
        const frontPort = await listeningPort('relay front', front);
        await waitFor(
          'relay worker',
          () => Promise.resolve(relayWorker.output().includes('ready')),
          30_000,
          relayWorker,
        );
        return {
          url: `http://127.0.0.1:${frontPort}`,
          front,
          worker: relayWorker,
          stop: async () => {
            await Promise.all([front.stop(), relayWorker.stop()]);
          },
        };
      },
      startAudit: async () => {
        // LOG_LEVEL=info only so that its one start-up line ("audit started") is printed; in
        // steady state the audit app logs nothing below warn (info is for outage recovery,
        // migrations and retention runs), so this costs it nothing during the measurement.
        const audit = spawnNode(
          'audit',
          resolve(DIST, 'apps/audit/src/main.js'),
          { ...env, PORT: '0', LOG_LEVEL: 'info' },
          opts.nodeArgs,
        );
        children.push(audit);
        await waitFor(
          'audit app',
          () => Promise.resolve(audit.output().includes('audit started')),
          60_000,
          audit,
        );
        return audit;
      },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
