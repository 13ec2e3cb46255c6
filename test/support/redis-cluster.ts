import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisProcess, redisCli, startRedisProcess } from './redis-processes.js';
import { freePort, waitFor } from './spawn-app.js';

export type OwnRedisCluster = {
  /** `host:port` of every master, as REDIS_CLUSTER_NODES takes them. */
  nodes: string;
  masters: RedisProcess[];
  stop(): Promise<void>;
};

/**
 * A Redis Cluster of `masters` masters (no replicas) of a suite's own: local redis-server
 * processes on free loopback ports (and cluster-bus ports), their state in a temp dir.
 */
export async function startOwnRedisCluster(masters = 3): Promise<OwnRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-cluster-'));
  const processes: RedisProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      processes.push(
        startRedisProcess(port, [
          '--port',
          String(port),
          '--cluster-port',
          String(busPort),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'noeviction',
        ]),
      );
    }
    const describe = () => processes.map((p) => p.output().slice(-1000)).join('\n');
    for (const p of processes) {
      await waitFor(async () => (await redisCli(p.port, ['PING'])) === 'PONG', 10_000, describe);
    }
    const nodes = processes.map((p) => `127.0.0.1:${p.port}`);
    await redisCli(processes[0]?.port ?? 0, [
      '--cluster',
      'create',
      ...nodes,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const p of processes) {
      await waitFor(
        async () => (await redisCli(p.port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'),
        15_000,
        describe,
      );
    }
    return { nodes: nodes.join(','), masters: processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
