import { Cluster, Redis } from 'ioredis';
import { bullConnection, releaseBullConnection } from './bull-connection.js';
import {
  createRedisClient,
  type RedisConnectionConfig,
  redisClusterOptions,
  RedisRole,
  redisServerOptions,
} from './redis-connections.js';

const standalone: RedisConnectionConfig = {
  REDIS_URL: 'rediss://app:s3cret@redis.internal:6380/3',
};
const sentinel: RedisConnectionConfig = {
  REDIS_URL: 'redis://:s3cret@ignored:6379/2',
  REDIS_SENTINELS: [{ host: 'sentinel-a', port: 26379 }],
  REDIS_SENTINEL_NAME: 'primary',
  REDIS_SENTINEL_PASSWORD: 'sentinel-s3cret',
};
const cluster: RedisConnectionConfig = {
  REDIS_URL: 'redis://:s3cret@ignored:6379',
  REDIS_CLUSTER_NODES: [{ host: '127.0.0.1', port: 1 }],
};

describe('Redis connections by role', () => {
  it('keeps the command connection fail-fast', () => {
    const options = redisServerOptions(standalone, RedisRole.command);
    expect(options).toMatchObject({
      host: 'redis.internal',
      port: 6380,
      username: 'app',
      password: 's3cret',
      db: 3,
      tls: {},
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
    });
    expect(options.retryStrategy?.(3)).toBe(300);
    expect(options.retryStrategy?.(50)).toBe(1_000);
  });

  it('gives BullMQ workers maxRetriesPerRequest null', () => {
    const options = redisServerOptions(standalone, RedisRole.queueWorker);
    expect(options.maxRetriesPerRequest).toBeNull();
  });

  it('never turns on ioredis auto-pipelining (writes are coalesced instead)', () => {
    for (const role of Object.values(RedisRole)) {
      expect(redisServerOptions(standalone, role).enableAutoPipelining).toBeUndefined();
      expect(redisClusterOptions(cluster, role).enableAutoPipelining).toBeUndefined();
    }
  });

  it('keeps the producers fail-fast', () => {
    expect(redisServerOptions(standalone, RedisRole.queueProducer)).toMatchObject({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    expect(redisServerOptions(standalone, RedisRole.eventProducer).enableOfflineQueue).toBe(false);
  });

  it('finds the primary through Sentinel with the login and db of REDIS_URL', () => {
    const options = redisServerOptions(sentinel, RedisRole.command);
    expect(options).toMatchObject({
      sentinels: [{ host: 'sentinel-a', port: 26379 }],
      name: 'primary',
      sentinelPassword: 'sentinel-s3cret',
      password: 's3cret',
      db: 2,
      failoverDetector: true,
      enableTLSForSentinelMode: false,
      enableOfflineQueue: false,
    });
    // REDIS_URL's host is not where the primary is: Sentinel says where.
    expect(options.host).toBeUndefined();
    const reconnect = options.reconnectOnError as (err: Error) => boolean;
    expect(reconnect(new Error("READONLY You can't write against a read only replica."))).toBe(
      true,
    );
    expect(reconnect(new Error('ERR wrong number of arguments'))).toBe(false);
  });

  it('puts the role on the Cluster and the login on each node', () => {
    const options = redisClusterOptions(cluster, RedisRole.command);
    expect(options).toMatchObject({
      lazyConnect: true,
      enableOfflineQueue: false,
      redisOptions: { password: 's3cret', maxRetriesPerRequest: 1, connectTimeout: 2_000 },
    });
    expect(options.clusterRetryStrategy?.(2)).toBe(200);
    expect(redisClusterOptions(cluster, RedisRole.queueWorker).redisOptions).toMatchObject({
      maxRetriesPerRequest: null,
    });
  });

  it('builds a Redis or a Cluster client from the config', () => {
    const one = createRedisClient(standalone, RedisRole.subscriber);
    const many = createRedisClient(cluster, RedisRole.subscriber);
    try {
      expect(one).toBeInstanceOf(Redis);
      expect(many).toBeInstanceOf(Cluster);
    } finally {
      one.disconnect();
      many.disconnect();
    }
  });

  it('hands BullMQ options on one server, a Cluster client (released by us) on a Cluster', async () => {
    expect(bullConnection(standalone, RedisRole.queueWorker)).not.toBeInstanceOf(Cluster);
    const connection = bullConnection(cluster, RedisRole.eventProducer);
    expect(connection).toBeInstanceOf(Cluster);
    (connection as Cluster).on('error', () => undefined);
    await releaseBullConnection(connection);
    expect(['disconnecting', 'end']).toContain((connection as Cluster).status);
  });
});
