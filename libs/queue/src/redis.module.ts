import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { redisOptionsFromUrl } from './redis-options.js';
import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

export const REDIS = Symbol('REDIS');
export const InjectRedis = (): ParameterDecorator => Inject(REDIS);

const logger = new Logger('Redis');

/**
 * An app's command connection. No offline queue: while Redis is down a command fails at
 * once (and the request gets a 503) instead of piling up; ioredis keeps reconnecting.
 */
async function connectRedis(config: AppConfig): Promise<Redis> {
  const redis = new Redis({
    ...redisOptionsFromUrl(config.REDIS_URL),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * times, 1_000),
    // Commands issued in the same tick share one socket write: under load that is most of
    // the per-request cost of talking to Redis.
    enableAutoPipelining: true,
  });
  let lastError = '';
  redis.on('error', (err: Error) => {
    // ioredis repeats the same error on every retry; say it once.
    if (err.message !== lastError) logger.warn(`connection problem: ${err.message}`);
    lastError = err.message;
  });
  redis.on('ready', () => {
    if (lastError) logger.log('connection restored');
    lastError = '';
  });
  await redis.connect().catch(() => {
    logger.warn('Redis is not reachable yet; requests needing it answer 503 until it is');
  });
  return redis;
}

@Global()
@Module({
  providers: [{ provide: REDIS, inject: [APP_CONFIG], useFactory: connectRedis }],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
