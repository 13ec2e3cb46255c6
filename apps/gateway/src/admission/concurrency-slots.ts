import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectRedis, limitsKey } from '@gatehouse/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import { RedisScript } from '../throttle/redis-script.js';
import { RedisThrottlerStorage } from '../throttle/redis-throttler.storage.js';
import { RateLimited } from './limit-state.js';

/**
 * Takes a slot in each capped set, or none: a set is a sorted set of request ids scored by when
 * their lease ends, so a slot whose holder died (a crashed replica) frees itself at that time.
 * KEYS: the key's set, the address's stream set. ARGV: now ms, lease end ms, request id, key
 * cap, address cap (0: not capped). Returns 0 (taken), 1 (key full) or 2 (address full).
 */
const TAKE = new RedisScript(`
local now = tonumber(ARGV[1])
local caps = {tonumber(ARGV[4]), tonumber(ARGV[5])}
for i = 1, 2 do
  if caps[i] > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    if redis.call('ZCARD', KEYS[i]) >= caps[i] then return i end
  end
end
for i = 1, 2 do
  if caps[i] > 0 then
    redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3])
    redis.call('PEXPIREAT', KEYS[i], ARGV[2])
  end
end
return 0
`);

export type SlotRequest = {
  requestId: string;
  keyId: string;
  /** The key's own cap, or null for KEY_MAX_CONCURRENT. */
  keyCap: number | null;
  /** The limited subject of the client address, for streams (see rateLimitSubject); else undefined. */
  streamSubject?: string;
  /** When the request ends at the latest: the slot frees itself then if never released. */
  leaseEndsAt: number;
};

/** Gives the slots back; safe to call more than once. */
export type ReleaseSlots = () => void;

/**
 * Caps on what is open at once, across every replica: proxied requests per key, and streams per
 * client address. Rates are counted at admission; these bound what a client can hold while it
 * waits (sockets, reply channels, worker capacity), which a rate cannot.
 */
@Injectable()
export class ConcurrencySlots {
  private readonly logger = new Logger(ConcurrencySlots.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRedis() private readonly redis: Redis,
    private readonly storage: RedisThrottlerStorage,
    private readonly audit: GatewayAudit,
  ) {}

  /** Takes the request's slots or throws 429 (503 when Redis is down). */
  async take(request: SlotRequest): Promise<ReleaseSlots> {
    const prefix = this.config.REDIS_KEY_PREFIX;
    const keys = [
      limitsKey(prefix, `inflight:key:${request.keyId}`),
      limitsKey(prefix, `streams:ip:${request.streamSubject ?? '-'}`),
    ];
    const keyCap = request.keyCap ?? this.config.KEY_MAX_CONCURRENT;
    const ipCap = request.streamSubject === undefined ? 0 : this.config.STREAMS_MAX_PER_IP;
    const now = Date.now();
    const verdict = (await this.storage.run(() =>
      TAKE.run(this.redis, keys, [now, request.leaseEndsAt, request.requestId, keyCap, ipCap]),
    )) as number;
    if (verdict === 1) {
      this.audit.record('ratelimit.hit', { throttler: 'key-concurrency', limit: keyCap });
      throw new RateLimited(
        `This key has ${keyCap} requests in flight, its limit; retry when one has finished`,
        1,
      );
    }
    if (verdict === 2) {
      this.audit.record('ratelimit.hit', { throttler: 'ip-streams', limit: ipCap });
      throw new RateLimited(
        `This address has ${ipCap} streams open, its limit; retry when one has finished`,
        1,
      );
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const [keySet, ipSet] = keys as [string, string];
      const done = [this.redis.zrem(keySet, request.requestId)];
      if (ipCap > 0) done.push(this.redis.zrem(ipSet, request.requestId));
      // A lost release only holds the slot until its lease ends.
      Promise.all(done).catch((err: Error) => {
        this.logger.warn(`could not release request slots: ${err.message}`);
      });
    };
  }
}
