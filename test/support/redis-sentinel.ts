import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisProcess, redisCli, startRedisProcess } from './redis-processes.js';
import { freePort, waitFor } from './spawn-app.js';

export const SENTINEL_PRIMARY_NAME = 'gatehouse-primary';

export type OwnRedisSentinel = {
  /** `host:port` of the sentinel, as REDIS_SENTINELS takes it. */
  sentinels: string;
  primary: RedisProcess;
  replica: RedisProcess;
  sentinel: RedisProcess;
  /** The port of the server the sentinel names as primary now. */
  primaryPort(): Promise<number>;
  /** Asks the sentinel to fail over now (SENTINEL FAILOVER) once the replica is in sync. */
  failover(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * One primary, one replica and one sentinel (quorum 1, a short down-after) of a suite's own on
 * free loopback ports, with passwords: `password` for the data servers, `sentinelPassword` for
 * the sentinel itself. Config and state live in a temp dir.
 */
export async function startOwnRedisSentinel(
  password: string,
  sentinelPassword: string,
): Promise<OwnRedisSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-sentinel-'));
  const processes: RedisProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [primaryPort, replicaPort, sentinelPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    // Passwords go in config files (mode 0600), never on a command line `ps` would show.
    const server = (port: number, extra: string[]): RedisProcess => {
      const file = join(dir, `redis-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          'save ""',
          'appendonly no',
          'maxmemory-policy noeviction',
          `requirepass ${password}`,
          `masterauth ${password}`,
          ...extra,
        ].join('\n'),
        { mode: 0o600 },
      );
      const p = startRedisProcess(port, [file]);
      processes.push(p);
      return p;
    };
    const primary = server(primaryPort, []);
    const replica = server(replicaPort, [`replicaof 127.0.0.1 ${primaryPort}`]);
    const sentinelFile = join(dir, 'sentinel.conf');
    writeFileSync(
      sentinelFile,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `requirepass ${sentinelPassword}`,
        `sentinel monitor ${SENTINEL_PRIMARY_NAME} 127.0.0.1 ${primaryPort} 1`,
        `sentinel auth-pass ${SENTINEL_PRIMARY_NAME} ${password}`,
        `sentinel down-after-milliseconds ${SENTINEL_PRIMARY_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_PRIMARY_NAME} 5000`,
      ].join('\n'),
      { mode: 0o600 },
    );
    const sentinel = startRedisProcess(sentinelPort, [sentinelFile, '--sentinel']);
    processes.push(sentinel);

    const describe = () => processes.map((p) => p.output().slice(-1500)).join('\n');
    const ask = (args: string[]) => redisCli(sentinelPort, args, sentinelPassword);
    const primaryPortNow = async () =>
      Number(
        (await ask(['SENTINEL', 'get-master-addr-by-name', SENTINEL_PRIMARY_NAME])).split('\n')[1],
      );
    const replicaInSync = async () => {
      const info = await ask(['SENTINEL', 'replicas', SENTINEL_PRIMARY_NAME]);
      return info.includes('master-link-status\nok') && !info.includes('s_down');
    };
    await waitFor(replicaInSync, 20_000, describe);
    return {
      sentinels: `127.0.0.1:${sentinelPort}`,
      primary,
      replica,
      sentinel,
      primaryPort: primaryPortNow,
      failover: async () => {
        const before = await primaryPortNow();
        await waitFor(replicaInSync, 20_000, describe);
        await ask(['SENTINEL', 'failover', SENTINEL_PRIMARY_NAME]);
        await waitFor(async () => (await primaryPortNow()) !== before, 15_000, describe);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
