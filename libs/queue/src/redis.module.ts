import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { createRedisClient, type RedisClient, RedisRole } from './redis-connections.js';
import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';

export const REDIS = Symbol('REDIS');
export const InjectRedis = (): ParameterDecorator => Inject(REDIS);

const logger = new Logger('Redis');

/** An app's command connection (see RedisRole.command), in the configured topology. */
async function connectRedis(config: AppConfig): Promise<RedisClient> {
  const redis = createRedisClient(config, RedisRole.command);
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
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
