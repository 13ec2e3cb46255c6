import type { ConnectionOptions } from 'bullmq';
import { Cluster } from 'ioredis';
import {
  type RedisConnectionConfig,
  type RedisRole,
  redisClusterOptions,
  redisServerOptions,
  redisTopology,
} from './redis-connections.js';

/**
 * BullMQ's `connection` for a role. On one server (standalone or Sentinel) it is options, and
 * BullMQ opens and closes its connections as it always has. BullMQ builds only single-server
 * clients from options, so on a Cluster it is a Cluster client that BullMQ shares (a worker
 * duplicates it for its blocking reads) and does not close: release it after the queue or
 * worker is closed (releaseBullConnection).
 */
export function bullConnection(config: RedisConnectionConfig, role: RedisRole): ConnectionOptions {
  const topology = redisTopology(config);
  if (topology.kind === 'cluster') {
    return new Cluster(topology.nodes, redisClusterOptions(config, role));
  }
  return redisServerOptions(config, role);
}

/** Closes a connection bullConnection made, when it is a client (a Cluster); options are a no-op. */
export async function releaseBullConnection(connection: unknown): Promise<void> {
  if (connection instanceof Cluster) {
    await connection.quit().catch(() => connection.disconnect());
  }
}

/** Closes a BullMQ queue, worker or QueueEvents, then the connection bullConnection gave it. */
export async function closeQueueClient(client: {
  close(): Promise<void>;
  opts: { connection?: unknown };
}): Promise<void> {
  await client.close();
  await releaseBullConnection(client.opts.connection);
}
