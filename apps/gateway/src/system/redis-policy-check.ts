import {
  InjectRedis,
  maxmemoryPolicy,
  type RedisClient,
  redisPrimaries,
  REQUIRED_MAXMEMORY_POLICY,
} from '@gatehouse/queue';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Redis } from 'ioredis';

/**
 * BullMQ loses jobs when Redis evicts keys, so Redis must run `maxmemory-policy noeviction`.
 * At start the gateway says so in a warning when the Redis it uses has another policy. It
 * never blocks or fails the start: when Redis is not up yet it checks once it is. On a Cluster
 * every master holds queue keys, so each is checked.
 */
@Injectable()
export class RedisPolicyCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('RedisPolicy');

  constructor(@InjectRedis() private readonly redis: RedisClient) {}

  onApplicationBootstrap(): void {
    if (this.redis.status === 'ready') void this.check();
    else this.redis.once('ready', () => void this.check());
  }

  private async check(): Promise<void> {
    await Promise.all(redisPrimaries(this.redis).map((primary) => this.checkOne(primary)));
  }

  private async checkOne(primary: Redis): Promise<void> {
    // Named only on a Cluster, where it says which master to fix.
    const where =
      primary === this.redis
        ? 'Redis'
        : `Redis ${primary.options.host ?? ''}:${primary.options.port ?? ''}`;
    try {
      const policy = maxmemoryPolicy(await primary.info('memory'));
      if (policy === undefined) {
        this.logger.warn(`could not read maxmemory_policy from ${where} INFO memory`);
      } else if (policy !== REQUIRED_MAXMEMORY_POLICY) {
        this.logger.warn(
          `${where} maxmemory-policy is "${policy}", not "noeviction": under memory pressure ` +
            'Redis will evict queue keys and jobs will be lost; set maxmemory-policy noeviction',
        );
      } else {
        this.logger.debug(`${where} maxmemory-policy is noeviction`);
      }
    } catch (err) {
      this.logger.warn(`could not check ${where} maxmemory-policy: ${(err as Error).message}`);
    }
  }
}
