import { ClientRedis, ServerRedis } from '@nestjs/microservices';
import { type BroadcastEvent, type BroadcastPayloads, broadcastChannel } from './names.js';
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

/**
 * Receives broadcasts (the transport's server side). Every app declares what it does on each
 * event with receive(), not @EventPattern: channels carry the deployment's REDIS_KEY_PREFIX.
 */
export class BroadcastServer extends ServerRedis {
  constructor(
    private readonly connectionConfig: RedisConnectionConfig & { REDIS_KEY_PREFIX: string },
  ) {
    super({});
  }

  /**
   * Runs `handle` on every broadcast of `event` in this deployment. A payload comes from Redis,
   * so it is typed as possibly incomplete: a handler checks what it uses.
   */
  receive<E extends BroadcastEvent>(
    event: E,
    handle: (payload: Partial<BroadcastPayloads[E]> | undefined) => Promise<void> | void,
  ): this {
    this.addHandler(
      broadcastChannel(this.connectionConfig.REDIS_KEY_PREFIX, event),
      async (payload: Partial<BroadcastPayloads[E]> | undefined) => {
        await handle(payload);
      },
      true,
    );
    return this;
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
