import type { AppConfig, RedisNodeAddress } from '@gatehouse/config';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { coalesceWrites } from './coalesced-writes.js';
import { redisOptionsFromUrl } from './redis-options.js';

/** Any ioredis client Gatehouse opens: one server (standalone or behind Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

/** The config a Redis connection is built from. */
export type RedisConnectionConfig = Pick<
  AppConfig,
  | 'REDIS_URL'
  | 'REDIS_SENTINELS'
  | 'REDIS_SENTINEL_NAME'
  | 'REDIS_SENTINEL_PASSWORD'
  | 'REDIS_CLUSTER_NODES'
>;

export type RedisTopology =
  | { kind: 'standalone' }
  | { kind: 'sentinel'; sentinels: RedisNodeAddress[]; name: string; sentinelPassword?: string }
  | { kind: 'cluster'; nodes: RedisNodeAddress[] };

/** The topology the (validated) config selects. */
export function redisTopology(config: RedisConnectionConfig): RedisTopology {
  if (config.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: config.REDIS_CLUSTER_NODES };
  if (config.REDIS_SENTINELS && config.REDIS_SENTINEL_NAME) {
    return {
      kind: 'sentinel',
      sentinels: config.REDIS_SENTINELS,
      name: config.REDIS_SENTINEL_NAME,
      sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
    };
  }
  return { kind: 'standalone' };
}

const backoff = (times: number): number => Math.min(100 * times, 1_000);

/**
 * Why a connection exists. Each role's options were chosen for what it does; every site that
 * opens a connection names its role here instead of spreading options of its own.
 */
export const RedisRole = {
  /**
   * An app's command connection (RedisModule). No offline queue: while Redis is down a command
   * fails at once (and the request gets a 503) instead of piling up; ioredis keeps
   * reconnecting. Commands issued in one turn of the event loop share one socket write
   * (coalesceWrites): under load that is most of the per-request cost of talking to Redis.
   */
  command: 'command',
  /** Pub/sub listener (the gateway's reply hub): subscriptions wait for, and survive, reconnects. */
  subscriber: 'subscriber',
  /** Both connections of the @nestjs/microservices Redis transport (broadcasts). */
  transport: 'transport',
  /**
   * The gateway's BullMQ producers (adds, a cancel's remove, the board's reads): they fail fast
   * while Redis is down (ProxyQueue turns that into a 503). BullMQ opens these clients itself;
   * ProxyQueue makes the proxy queue's client coalesce its writes, so the adds of concurrent
   * requests share one socket write.
   */
  queueProducer: 'queueProducer',
  /** proxy-worker's BullMQ producers (audit events): fail fast while Redis is down. */
  eventProducer: 'eventProducer',
  /**
   * BullMQ workers, and the audit app's scheduler queue: BullMQ needs maxRetriesPerRequest null
   * on connections that block, and retries them until Redis is back.
   */
  queueWorker: 'queueWorker',
  /** A BullMQ QueueEvents reader (the gateway waiting on a maintenance job); BullMQ's defaults. */
  queueEvents: 'queueEvents',
  /** A one-off check from the command line (preflight, doctor): one try, no retries. */
  probe: 'probe',
} as const;
export type RedisRole = (typeof RedisRole)[keyof typeof RedisRole];

/** What a role asks of a connection, whatever the topology. */
type RoleOptions = {
  lazyConnect?: boolean;
  enableOfflineQueue?: boolean;
  maxRetriesPerRequest?: number | null;
  connectTimeout?: number;
  retryStrategy?: (times: number) => number | null;
};

const ROLE_OPTIONS: Record<RedisRole, RoleOptions> = {
  command: {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: backoff,
  },
  subscriber: { lazyConnect: true, retryStrategy: backoff },
  // The transport connects when it listens; it retries every 500 ms for as long as it runs.
  transport: { lazyConnect: true, retryStrategy: () => 500 },
  queueProducer: { enableOfflineQueue: false, maxRetriesPerRequest: 1 },
  eventProducer: { enableOfflineQueue: false },
  queueWorker: { maxRetriesPerRequest: null },
  queueEvents: {},
  probe: {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  },
};

/** ioredis options whose retry strategy is always a function (what BullMQ's types accept). */
export type RedisServerOptions = Omit<RedisOptions, 'retryStrategy'> & {
  retryStrategy?: (times: number) => number | null;
};

/**
 * ioredis options for one server, standalone or found through Sentinel. REDIS_URL carries the
 * login, TLS and db in both; with Sentinel its host and port are not used.
 */
export function redisServerOptions(
  config: RedisConnectionConfig,
  role: RedisRole,
): RedisServerOptions {
  const { host, port, ...login } = redisOptionsFromUrl(config.REDIS_URL);
  const topology = redisTopology(config);
  const roleOptions = ROLE_OPTIONS[role];
  if (topology.kind !== 'sentinel') return { host, port, ...login, ...roleOptions };
  return {
    ...login,
    ...roleOptions,
    sentinels: topology.sentinels,
    name: topology.name,
    sentinelPassword: topology.sentinelPassword,
    // The sentinels speak TLS when the data connection does (one `rediss:` for the deployment).
    enableTLSForSentinelMode: login.tls !== undefined,
    sentinelTLS: login.tls,
    // Listen to the sentinels' +switch-master, so a failover moves us at once rather than when
    // the old primary's socket finally fails.
    failoverDetector: true,
    // A primary demoted to replica answers writes with READONLY: reconnect (to the new primary).
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  };
}

/** ioredis Cluster options: the role's settings at the cluster level, the login per node. */
export function redisClusterOptions(
  config: RedisConnectionConfig,
  role: RedisRole,
): ClusterOptions {
  const { username, password, tls } = redisOptionsFromUrl(config.REDIS_URL);
  const { lazyConnect, enableOfflineQueue, retryStrategy, ...perNode } = ROLE_OPTIONS[role];
  return {
    lazyConnect,
    enableOfflineQueue,
    clusterRetryStrategy: retryStrategy ?? backoff,
    redisOptions: { username, password, tls, ...perNode },
  };
}

/**
 * Roles whose clients send what one turn of the event loop issues in one socket write. Not the
 * blocking ones: a BZPOPMIN or a SUBSCRIBE gains nothing from waiting for company.
 */
const COALESCED_ROLES: ReadonlySet<RedisRole> = new Set([RedisRole.command]);

/** A new client for `role` in the configured topology. The caller owns (and closes) it. */
export function createRedisClient(config: RedisConnectionConfig, role: RedisRole): RedisClient {
  const topology = redisTopology(config);
  const client =
    topology.kind === 'cluster'
      ? new Cluster(topology.nodes, redisClusterOptions(config, role))
      : new Redis(redisServerOptions(config, role));
  if (COALESCED_ROLES.has(role)) coalesceWrites(client);
  return client;
}

/** Every primary a client writes to: the one server, or each master of a Cluster. */
export function redisPrimaries(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}
