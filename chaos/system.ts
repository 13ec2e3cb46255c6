import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCredentialKeyPair } from '@gatehouse/crypto';
import { createAccount, createKey } from '../test/support/admin-client.js';
import {
  LOOPBACK_UPSTREAM,
  type MockUpstream,
  startMockUpstream,
} from '../test/support/mock-upstream.js';
import { type OwnRedisServer, startOwnRedisServer } from '../test/support/redis-server.js';
import {
  type SpawnedApp,
  freePort,
  spawnGateway,
  spawnStandalone,
} from '../test/support/spawn-app.js';
import { startTcpProxy, type TcpProxy } from '../test/support/tcp-proxy.js';
import { createTestEnv, type TestEnv } from '../test/support/test-env.js';
import type { ChaosOptions } from './options.js';

export const CHAOS_MODEL = 'gpt-chaos';

/** One app replica that the run can kill (SIGKILL, as a crash) and start again. */
export type Replica = {
  name: string;
  /** Gateways only: where it listens (the same address after a restart). */
  url: string | undefined;
  isUp(): boolean;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
};

export type ChaosSystem = {
  env: TestEnv;
  upstream: MockUpstream;
  redis: OwnRedisServer;
  /** Every app reaches Postgres through it, so the run can cut Postgres for the apps alone. */
  postgres: TcpProxy;
  gateways: Replica[];
  workers: Replica[];
  audits: Replica[];
  clientKey: string;
  shutdown(): Promise<void>;
};

/**
 * Two of each app on loopback, sharing a Redis of the run's own (append-only, fsync on every
 * write) and a database of its own behind a TCP proxy that can be cut.
 */
export async function startChaosSystem(options: ChaosOptions): Promise<ChaosSystem> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const shutdown = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const upstream = await startMockUpstream();
    cleanups.push(() => upstream.close());
    // The answer echoes the prompt, so a reply delivered to the wrong client is caught.
    upstream.setBehaviour('chaos', {
      kind: 'ok',
      delayMs: options.upstreamDelayMs,
      echoInPiecesOf: 8,
    });

    const aofDir = await mkdtemp(join(tmpdir(), 'gatehouse-chaos-redis-'));
    cleanups.push(() => rm(aofDir, { recursive: true, force: true }));
    const redis = await startOwnRedisServer({ appendOnlyDir: aofDir });
    cleanups.push(() => redis.kill());

    const pair = generateCredentialKeyPair();
    const env = await createTestEnv({
      ...LOOPBACK_UPSTREAM,
      REDIS_URL: redis.url,
      CREDENTIALS_PUBLIC_KEY: pair.publicKey,
      CREDENTIALS_PRIVATE_KEYS: pair.privateKey,
      // One key and one address carry every client: the limits are not what is tested here.
      RATE_LIMIT_KEY_PER_MIN: '1000000',
      RATE_LIMIT_IP_PER_MIN: '1000000',
      RATE_LIMIT_JOBS_PER_MIN: '1000000',
      RATE_LIMIT_JOBS_PER_IP_PER_MIN: '1000000',
      ...(options.jobLockMs ? { PROXY_JOB_LOCK_MS: String(options.jobLockMs) } : {}),
    });
    cleanups.push(() => env.cleanup());
    const direct = new URL(env.env.DATABASE_URL);
    const postgres = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
    cleanups.push(() => postgres.close());
    const viaProxy = new URL(direct);
    viaProxy.port = String(postgres.port);
    const appEnv = { ...env.env, DATABASE_URL: viaProxy.toString() };

    const replicas: Replica[] = [];
    cleanups.push(() => Promise.all(replicas.map((r) => r.stop())));
    const replica = async (name: string, start: () => Promise<SpawnedApp>, url?: string) => {
      let app: SpawnedApp | undefined = await start();
      let before = ''; // what the killed processes of this replica wrote
      const r: Replica = {
        name,
        url,
        isUp: () => app !== undefined,
        output: () => before + (app?.output() ?? ''),
        kill: async () => {
          const dying = app;
          app = undefined;
          if (!dying) return;
          dying.child.kill('SIGKILL');
          await dying.exited;
          before += `${dying.output()}\n--- killed (SIGKILL) ---\n`;
        },
        start: async () => {
          app ??= await start();
        },
        stop: async () => {
          const stopping = app;
          app = undefined;
          await stopping?.stop();
        },
      };
      replicas.push(r);
      return r;
    };
    const gateway = async (n: number) => {
      const port = await freePort();
      return replica(
        `gateway-${n}`,
        () => spawnGateway(appEnv, { port }),
        `http://127.0.0.1:${port}`,
      );
    };
    // The first gateway applies the migrations; the others start once they are in place.
    const gateways = [await gateway(1)];
    gateways.push(await gateway(2));
    const workers = [
      await replica('proxy-worker-1', () => spawnStandalone('proxy-worker', appEnv)),
      await replica('proxy-worker-2', () => spawnStandalone('proxy-worker', appEnv)),
    ];
    const audits = [
      await replica('audit-1', () => spawnStandalone('audit', appEnv)),
      await replica('audit-2', () => spawnStandalone('audit', appEnv)),
    ];

    const admin = gateways[0]?.url ?? '';
    await createAccount(admin, env.adminKey, {
      name: 'chaos',
      provider: 'openai',
      base_url: upstream.openaiBase('chaos'),
      credential: `sk-${randomBytes(24).toString('hex')}`,
      models: [CHAOS_MODEL],
    });
    const clientKey = (await createKey(admin, env.adminKey, { name: 'chaos' })).key;

    return { env, upstream, redis, postgres, gateways, workers, audits, clientKey, shutdown };
  } catch (err) {
    await shutdown();
    throw err;
  }
}
