import { Redis } from 'ioredis';
import {
  type RedisConnectionConfig,
  type RedisTopology,
  redisTopology,
} from './redis-connections.js';
import { redisOptionsFromUrl } from './redis-options.js';

/**
 * How long a write waits for a replica's acknowledgement (WAIT). A replica answers the primary's
 * GETACK within one round trip; this long passes only when no replica is in sync.
 */
export const REPLICA_ACK_TIMEOUT_MS = 100;

/** Where a connection's socket goes. */
export type RemoteAddress = { address?: string; port?: number };

/**
 * The connection a write went out on, as ioredis (or BullMQ's wrapper of it) has it: WAIT covers
 * the writes of the connection it is sent on, so it must be that one.
 */
export type WritingConnection = {
  isCluster?: boolean;
  wait?: (replicas: number, timeoutMs: number) => Promise<number>;
  stream?: { remoteAddress?: string; remotePort?: number };
};

/**
 * Whether a sentinel's `SENTINEL MASTER` reply (a flat field/value list) names `remote` as the
 * primary, with no failover under way.
 */
export function namesSettledPrimary(reply: unknown, remote: RemoteAddress): boolean {
  if (!Array.isArray(reply)) return false;
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]));
  const flags = (fields.get('flags') ?? '').split(',');
  if (flags.includes('failover_in_progress') || flags.some((f) => f.endsWith('_down'))) {
    return false;
  }
  const address = remote.address?.replace(/^::ffff:/, '');
  return fields.get('ip') === address && Number(fields.get('port')) === remote.port;
}

/**
 * Behind Sentinel, replication is asynchronous: a write the primary acknowledged just before a
 * failover can be missing on the replica promoted in its place, and between the promotion and
 * the sentinels' +switch-master (about a second) the old primary still takes writes that are
 * all lost when it is turned into a replica. For a queued job that means a job the gateway
 * answered for (a 202, or a sync request left waiting) that no worker will ever see.
 *
 * `confirm` settles a connection's writes so far: it resolves once a replica holds them (WAIT 1),
 * or, when none acknowledges in REPLICA_ACK_TIMEOUT_MS, once a sentinel confirms the server is
 * the primary with no failover under way (a primary without a replica in sync has nothing a
 * failover could promote over it). Otherwise it rejects, and the caller refuses the job. On a
 * standalone server or a Cluster it resolves at once.
 */
export class ReplicatedWrites {
  private readonly topology: RedisTopology;
  private sentinels: Redis[] | undefined;

  constructor(
    private readonly config: RedisConnectionConfig,
    /** `SENTINEL MASTER <name>` from a sentinel that answers (replaced in tests). */
    private readonly askSentinel?: () => Promise<unknown>,
  ) {
    this.topology = redisTopology(config);
  }

  get enabled(): boolean {
    return this.topology.kind === 'sentinel';
  }

  /**
   * Call it as soon as the write resolved, on the connection it went out on: the socket it has
   * then is the one the write was answered on. A connection that reconnected since (a
   * +switch-master) would WAIT for its new server, which never had the write: refused.
   */
  async confirm(client: WritingConnection): Promise<void> {
    if (!this.enabled || client.isCluster === true) return;
    const socket = client.stream;
    if (typeof client.wait !== 'function') throw new Error('this connection cannot WAIT');
    const acked = await client.wait(1, REPLICA_ACK_TIMEOUT_MS);
    if (client.stream !== socket) throw new Error('the connection moved before the write settled');
    if (acked >= 1) return;
    const remote = { address: socket?.remoteAddress, port: socket?.remotePort };
    const reply = await (this.askSentinel ?? (() => this.sentinelMaster()))();
    if (client.stream !== socket || !namesSettledPrimary(reply, remote)) {
      throw new Error('the write reached no replica and its server is not the settled primary');
    }
  }

  async close(): Promise<void> {
    const open = this.sentinels ?? [];
    this.sentinels = undefined;
    await Promise.all(open.map((s) => s.quit().catch(() => s.disconnect())));
  }

  private async sentinelMaster(): Promise<unknown> {
    if (this.topology.kind !== 'sentinel') return undefined;
    const { name } = this.topology;
    for (const sentinel of this.sentinelClients()) {
      try {
        return await sentinel.call('SENTINEL', 'MASTER', name);
      } catch {
        // the next sentinel, if any
      }
    }
    return undefined;
  }

  private sentinelClients(): Redis[] {
    if (this.topology.kind !== 'sentinel') return [];
    if (!this.sentinels) {
      const { tls } = redisOptionsFromUrl(this.config.REDIS_URL);
      const password = this.topology.sentinelPassword;
      this.sentinels = this.topology.sentinels.map(
        ({ host, port }) =>
          new Redis({
            host,
            port,
            password,
            tls,
            lazyConnect: true,
            connectTimeout: 1_000,
            maxRetriesPerRequest: 1,
            retryStrategy: (times) => Math.min(100 * times, 1_000),
          }),
      );
    }
    return this.sentinels;
  }
}
