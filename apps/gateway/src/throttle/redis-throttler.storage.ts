import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';
import { InjectRedis, limitsKey, type RedisClient, RedisScript } from '@gatehouse/queue';

/**
 * Fixed-window counter with an optional block, in one atomic script so concurrent replicas
 * never over-admit. blockDuration 0 means "blocked until the window ends".
 * Returns {hits, windowMsLeft, blocked (0/1), blockMsLeft}.
 */
const INCREMENT = new RedisScript(`
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then left = 0 end
  return {hits, left, 1, blockLeft}
end
local ttl = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local block = tonumber(ARGV[3])
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  left = ttl
end
if hits > limit then
  if block > 0 then
    redis.call('SET', KEYS[2], '1', 'PX', block)
    return {hits, left, 1, block}
  end
  return {hits, left, 1, left}
end
return {hits, left, 0, 0}
`);

/**
 * `@nestjs/throttler`'s storage interface on Redis (both published Redis storages declare peers
 * up to Nest 11 only, and this is one small script). Buckets are named `<throttler>:<subject>`;
 * admission reads the same keys in its own script (see bucketKeys).
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const [hitsKey, blockKey] = this.bucketKeys(key);
    const [hits, left, blocked, blockLeft] = (await this.run(() =>
      INCREMENT.run(this.redis, [hitsKey, blockKey], [ttl, limit, blockDuration]),
    )) as [number, number, number, number];
    return {
      totalHits: hits,
      timeToExpire: Math.ceil(left / 1000),
      isBlocked: blocked === 1,
      timeToBlockExpire: Math.ceil(blockLeft / 1000),
    };
  }

  /** A bucket's counter and block keys, in the admission slot (see limitsKey). */
  bucketKeys(bucket: string): [hits: string, block: string] {
    const base = limitsKey(this.config.REDIS_KEY_PREFIX, `throttle:${bucket}`);
    return [`${base}:hits`, `${base}:block`];
  }

  /** Without Redis no limit can be enforced: refuse with 503 rather than let traffic through. */
  async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch {
      throw new ServiceUnavailableException('Rate limiting is unavailable; try again shortly');
    }
  }
}
