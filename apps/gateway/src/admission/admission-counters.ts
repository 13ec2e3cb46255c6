import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectRedis, RedisScript, tokenUsageKey } from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';

import { RedisThrottlerStorage } from '../throttle/redis-throttler.storage.js';

/**
 * Every admission check of a request in one atomic script: the lockout of its address, its
 * per-IP count, its key's count and its key's token total for today, then (for a proxied
 * request) a slot in its key's in-flight set and, for a stream, in its address's stream set. A
 * check whose limit is 0 is skipped; the first that refuses ends the script, so a refused request
 * is not counted further and takes no slot.
 * A slot set is a sorted set of request ids scored by when their lease ends, so a slot whose
 * holder died (a crashed replica) frees itself at that time; ConcurrencySlots releases them.
 * KEYS: lockout block, ip hits, key hits, token total, key's in-flight set, address's stream set.
 * ARGV: window ms, check lockout (0/1), ip limit, key limit, tokens/day, take slots (0/1), now ms,
 * lease end ms, request id, key cap, stream cap (0: not a stream).
 * Returns {verdict, ipHits, ipMsLeft, keyHits, keyMsLeft, lockoutMsLeft}.
 */
const ADMIT = new RedisScript(`
local window = tonumber(ARGV[1])
local function count(key)
  local hits = redis.call('INCR', key)
  local left = redis.call('PTTL', key)
  if left < 0 then
    redis.call('PEXPIRE', key, window)
    left = window
  end
  return hits, left
end
if ARGV[2] == '1' then
  local locked = redis.call('PTTL', KEYS[1])
  if locked > 0 then return {1, 0, 0, 0, 0, locked} end
end
local ipHits, ipLeft, keyHits, keyLeft = 0, 0, 0, 0
local ipLimit = tonumber(ARGV[3])
if ipLimit > 0 then
  ipHits, ipLeft = count(KEYS[2])
  if ipHits > ipLimit then return {2, ipHits, ipLeft, 0, 0, 0} end
end
local keyLimit = tonumber(ARGV[4])
if keyLimit > 0 then
  keyHits, keyLeft = count(KEYS[3])
  if keyHits > keyLimit then return {3, ipHits, ipLeft, keyHits, keyLeft, 0} end
end
local budget = tonumber(ARGV[5])
if budget > 0 then
  local used = tonumber(redis.call('GET', KEYS[4]) or '0')
  if used >= budget then return {4, ipHits, ipLeft, keyHits, keyLeft, 0} end
end
if ARGV[6] == '1' then
  local now = tonumber(ARGV[7])
  local caps = {tonumber(ARGV[10]), tonumber(ARGV[11])}
  for i = 1, 2 do
    if caps[i] > 0 then
      redis.call('ZREMRANGEBYSCORE', KEYS[4 + i], '-inf', now)
      if redis.call('ZCARD', KEYS[4 + i]) >= caps[i] then
        return {4 + i, ipHits, ipLeft, keyHits, keyLeft, 0}
      end
    end
  end
  for i = 1, 2 do
    if caps[i] > 0 then
      redis.call('ZADD', KEYS[4 + i], ARGV[8], ARGV[9])
      redis.call('PEXPIREAT', KEYS[4 + i], ARGV[8])
    end
  end
end
return {0, ipHits, ipLeft, keyHits, keyLeft, 0}
`);

export type AdmissionCheck = {
  /** The limited subject of the client address (see rateLimitSubject). */
  subject: string;
  checkLockout: boolean;
  windowMs: number;
  /** 0: not counted. */
  ipLimit: number;
  /** The key counted (and its limit, 0: not counted). */
  keyId?: string;
  keyLimit: number;
  /** Tokens/day of the key, 0: not checked. */
  tokensPerDay: number;
  /** Slots to take once every count has passed (with a key only). */
  slots?: SlotsToTake;
};

/** A proxied request's slots: in its key's in-flight set and, for a stream, its address's. */
export type SlotsToTake = {
  keys: SlotKeys;
  requestId: string;
  /** When the request ends at the latest: the slots free themselves then if never released. */
  leaseEndsAt: number;
  keyCap: number;
  /** 0: not a stream, no stream slot. */
  streamCap: number;
};

/** The two slot sets (named by ConcurrencySlots.toTake). */
export type SlotKeys = { inFlight: string; streams: string };

export type Verdict =
  'admitted' | 'locked' | 'ip' | 'key' | 'budget' | 'key-concurrency' | 'ip-streams';

/** A counted limit after this request. */
export type Counted = { limit: number; hits: number; msLeft: number };

export type AdmissionCount = {
  verdict: Verdict;
  ip?: Counted;
  key?: Counted;
  lockoutMsLeft: number;
  /** The budget checked (for the refusal's message). */
  tokensPerDay: number;
};

const VERDICTS: readonly Verdict[] = [
  'admitted',
  'locked',
  'ip',
  'key',
  'budget',
  'key-concurrency',
  'ip-streams',
];

/** Runs the admission script: one Redis round trip for every limit a request is subject to. */
@Injectable()
export class AdmissionCounters {
  constructor(
    @InjectRedis() private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly storage: RedisThrottlerStorage,
  ) {}

  async count(check: AdmissionCheck): Promise<AdmissionCount> {
    const keyId = check.keyId ?? '-';
    const keyHitsKey = this.storage.bucketKeys(`key:${keyId}`)[0];
    const keyLimit = check.keyId ? check.keyLimit : 0;
    const tokensPerDay = check.keyId ? check.tokensPerDay : 0;
    const slots = check.keyId ? check.slots : undefined;
    const keys = [
      this.storage.bucketKeys(`auth-failure:${check.subject}`)[1],
      this.storage.bucketKeys(`ip:${check.subject}`)[0],
      keyHitsKey,
      tokenUsageKey(this.config.REDIS_KEY_PREFIX, keyId),
      // Without slots the script touches neither set; it is still given keys of the same slot.
      slots?.keys.inFlight ?? keyHitsKey,
      slots?.keys.streams ?? keyHitsKey,
    ];
    const args = [
      check.windowMs,
      check.checkLockout ? 1 : 0,
      check.ipLimit,
      keyLimit,
      tokensPerDay,
      slots ? 1 : 0,
      Date.now(),
      slots?.leaseEndsAt ?? 0,
      slots?.requestId ?? '',
      slots?.keyCap ?? 0,
      slots?.streamCap ?? 0,
    ];
    const [verdict, ipHits, ipLeft, keyHits, keyLeft, locked] = (await this.storage.run(() =>
      ADMIT.run(this.redis, keys, args),
    )) as number[];
    return {
      verdict: VERDICTS[verdict ?? 0] ?? 'admitted',
      ip:
        check.ipLimit > 0
          ? { limit: check.ipLimit, hits: ipHits ?? 0, msLeft: ipLeft ?? 0 }
          : undefined,
      key: keyLimit > 0 ? { limit: keyLimit, hits: keyHits ?? 0, msLeft: keyLeft ?? 0 } : undefined,
      lockoutMsLeft: locked ?? 0,
      tokensPerDay,
    };
  }
}
