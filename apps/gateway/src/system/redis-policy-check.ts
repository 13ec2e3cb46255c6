import { InjectRedis, maxmemoryPolicy, REQUIRED_MAXMEMORY_POLICY } from '@gatehouse/queue';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Redis } from 'ioredis';

/**
 * BullMQ loses jobs when Redis evicts keys, so Redis must run `maxmemory-policy noeviction`.
 * At start the gateway says so in a warning when the Redis it uses has another policy. It
 * never blocks or fails the start: when Redis is not up yet it checks once it is.
 */
@Injectable()
export class RedisPolicyCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('RedisPolicy');

  constructor(@InjectRedis() private readonly redis: Redis) {}

  onApplicationBootstrap(): void {
    if (this.redis.status === 'ready') void this.check();
    else this.redis.once('ready', () => void this.check());
  }

  private async check(): Promise<void> {
    try {
      const policy = maxmemoryPolicy(await this.redis.info('memory'));
      if (policy === undefined) {
        this.logger.warn('could not read maxmemory_policy from Redis INFO memory');
      } else if (policy !== REQUIRED_MAXMEMORY_POLICY) {
        this.logger.warn(
          `Redis maxmemory-policy is "${policy}", not "noeviction": under memory pressure ` +
            'Redis will evict queue keys and jobs will be lost; set maxmemory-policy noeviction',
        );
      } else {
        this.logger.debug('Redis maxmemory-policy is noeviction');
      }
    } catch (err) {
      this.logger.warn(`could not check Redis maxmemory-policy: ${(err as Error).message}`);
    }
  }
}
