import { ClientRedis, ServerRedis } from '@nestjs/microservices';
import {
  createRedisClient,
  type RedisClient,
  type RedisConnectionConfig,
  RedisRole,
} from './redis-connections.js';

/*
 * The @nestjs/microservices Redis transport builds single-server clients from options. These
 * subclasses hand it ours instead, so broadcasts run in every topology: through Sentinel, and on
 * a Cluster, where a classic PUBLISH reaches the subscribers of every node.
 */

/** Receives broadcasts (the transport's server side). */
export class BroadcastServer extends ServerRedis {
  constructor(private readonly connectionConfig: RedisConnectionConfig) {
    super({});
  }

  override createRedisClient(): Promise<RedisClient> {
    return Promise.resolve(createRedisClient(this.connectionConfig, RedisRole.transport));
  }
}

/** Sends broadcasts (the transport's client side). */
export class BroadcastClient extends ClientRedis {
  constructor(private readonly connectionConfig: RedisConnectionConfig) {
    super({});
  }

  override createClient(): Promise<RedisClient> {
    return Promise.resolve(createRedisClient(this.connectionConfig, RedisRole.transport));
  }
}
