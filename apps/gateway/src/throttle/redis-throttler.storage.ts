import { createHash } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';
import type { Redis } from 'ioredis';
import { InjectRedis } from '@gatehouse/queue';

/**
 * Fixed-window counter with an optional block, in one atomic script so concurrent replicas
 * never over-admit. blockDuration 0 means "blocked until the window ends".
 * Returns {hits, windowMsLeft, blocked (0/1), blockMsLeft}.
 */
const INCREMENT_SCRIPT = `
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
`;

const INCREMENT_SHA = createHash('sha1').update(INCREMENT_SCRIPT).digest('hex');

// Not the upstream ThrottlerStorage token's packages: both published Redis storages declare
// peers up to Nest 11 only, and this is one small script.
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    @InjectRedis() private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const [hitsKey, blockKey] = this.keys(key);
    const [hits, left, blocked, blockLeft] = (await this.run(() =>
      this.evalIncrement(hitsKey, blockKey, ttl, limit, blockDuration),
    )) as [number, number, number, number];
    return {
      totalHits: hits,
      timeToExpire: Math.ceil(left / 1000),
      isBlocked: blocked === 1,
      timeToBlockExpire: Math.ceil(blockLeft / 1000),
    };
  }

  /** By hash (EVALSHA): the script's text goes over the wire only when Redis lacks it. */
  private async evalIncrement(...args: (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(INCREMENT_SHA, 2, ...args);
    } catch (err) {
      if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
      return this.redis.eval(INCREMENT_SCRIPT, 2, ...args);
    }
  }

  /** Milliseconds a bucket stays blocked, 0 when it is not. Counts nothing. */
  async blockedFor(key: string): Promise<number> {
    const [, blockKey] = this.keys(key);
    const left = await this.run(() => this.redis.pttl(blockKey));
    return Math.max(0, left);
  }

  private keys(key: string): [string, string] {
    // The hash tag keeps both keys of a bucket in one Cluster slot, as the script requires.
    const base = `${this.config.REDIS_KEY_PREFIX}:throttle:{${key}}`;
    return [`${base}:hits`, `${base}:block`];
  }

  /** Without Redis no limit can be enforced: refuse with 503 rather than let traffic through. */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch {
      throw new ServiceUnavailableException('Rate limiting is unavailable; try again shortly');
    }
  }
}
