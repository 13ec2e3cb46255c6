import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { reservationLeasesKey } from '@gatehouse/budgets';
import { InjectRedis, type RedisClient, RedisScript } from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';

import { RedisThrottlerStorage } from '../throttle/redis-throttler.storage.js';

/**
 * Every admission check of a request in one atomic script: the lockout of its address, its
 * per-IP count, its key's count, its key's budgets, then (for a proxied request) a slot in its
 * key's in-flight set and, for a stream, in its address's stream set, and last the budget
 * reservation. A check whose limit is 0 is skipped; the first that refuses ends the script, and
 * nothing is taken (slots, reservation) unless every check passed.
 * A slot set is a sorted set of request ids scored by when their lease ends, so a slot whose
 * holder died (a crashed replica) frees itself at that time; ConcurrencySlots releases them.
 * A budget counter holds what was used plus what is reserved; a request fits when its own
 * reservation (at least 1) fits on top. A reservation is an entry in the leases set (see
 * libs/budgets reservations.ts), settled by the worker or reclaimed when its lease ends.
 * KEYS: lockout block, ip hits, key hits, key's in-flight set, address's stream set, leases set,
 * then one counter per budget.
 * ARGV: window ms, check lockout (0/1), ip limit, key limit, take slots (0/1), now ms, slot lease
 * end ms, request id, key cap, stream cap (0: not a stream), reservation ('' : check only),
 * reservation lease end ms, then per budget: limit, amount, keep ms.
 * Returns {verdict, ipHits, ipMsLeft, keyHits, keyMsLeft, lockoutMsLeft, refused budget (1-based,
 * 0: none), then each budget's counter (after the reservation when admitted)}.
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
  if locked > 0 then return {1, 0, 0, 0, 0, locked, 0} end
end
local ipHits, ipLeft, keyHits, keyLeft = 0, 0, 0, 0
local ipLimit = tonumber(ARGV[3])
if ipLimit > 0 then
  ipHits, ipLeft = count(KEYS[2])
  if ipHits > ipLimit then return {2, ipHits, ipLeft, 0, 0, 0, 0} end
end
local keyLimit = tonumber(ARGV[4])
if keyLimit > 0 then
  keyHits, keyLeft = count(KEYS[3])
  if keyHits > keyLimit then return {3, ipHits, ipLeft, keyHits, keyLeft, 0, 0} end
end
local budgets = (#ARGV - 12) / 3
local used = {}
for i = 1, budgets do
  local limit, amount = tonumber(ARGV[10 + 3 * i]), tonumber(ARGV[11 + 3 * i])
  used[i] = tonumber(redis.call('GET', KEYS[6 + i]) or '0')
  if used[i] + math.max(amount, 1) > limit then
    local out = {4, ipHits, ipLeft, keyHits, keyLeft, 0, i}
    for j = 1, i do out[7 + j] = used[j] end
    return out
  end
end
if ARGV[5] == '1' then
  local now = tonumber(ARGV[6])
  local caps = {tonumber(ARGV[9]), tonumber(ARGV[10])}
  for i = 1, 2 do
    if caps[i] > 0 then
      redis.call('ZREMRANGEBYSCORE', KEYS[3 + i], '-inf', now)
      if redis.call('ZCARD', KEYS[3 + i]) >= caps[i] then
        return {4 + i, ipHits, ipLeft, keyHits, keyLeft, 0, 0}
      end
    end
  end
  for i = 1, 2 do
    if caps[i] > 0 then
      redis.call('ZADD', KEYS[3 + i], ARGV[7], ARGV[8])
      redis.call('PEXPIREAT', KEYS[3 + i], ARGV[7])
    end
  end
end
local out = {0, ipHits, ipLeft, keyHits, keyLeft, 0, 0}
if ARGV[11] ~= '' then
  for i = 1, budgets do
    local amount = tonumber(ARGV[11 + 3 * i])
    used[i] = redis.call('INCRBY', KEYS[6 + i], amount)
    if redis.call('PTTL', KEYS[6 + i]) < 0 then
      redis.call('PEXPIRE', KEYS[6 + i], ARGV[12 + 3 * i])
    end
  end
  redis.call('ZADD', KEYS[6], ARGV[12], ARGV[11])
end
for i = 1, budgets do out[7 + i] = used[i] end
return out
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
  /** Slots to take once every count has passed (with a key only). */
  slots?: SlotsToTake;
  /** The key's budgets to check and, with a reservation, reserve (with a key only). */
  budgets?: BudgetsToCheck;
};

/** A key's budget counters for this request, and its reservation when it spends. */
export type BudgetsToCheck = {
  counters: readonly BudgetCounter[];
  /** What this request reserves of each counter, in its order (0s when checking only). */
  amounts: readonly number[];
  /** Absent: check only (nothing is reserved; a counter at its limit refuses). */
  reservation?: { lease: string; leaseEndsAt: number };
};

export type BudgetCounter = {
  key: string;
  limit: number;
  /** How long a counter this creates is kept. */
  keepMs: number;
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
  /** With verdict 'budget': which of the checked budgets refused (its index). */
  refusedBudget?: number;
  /** Each checked budget's counter: after the reservation if admitted, as found if refused. */
  budgetsUsed: number[];
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
  private readonly leasesKey: string;

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly storage: RedisThrottlerStorage,
  ) {
    this.leasesKey = reservationLeasesKey(config.REDIS_KEY_PREFIX);
  }

  async count(check: AdmissionCheck): Promise<AdmissionCount> {
    const keyId = check.keyId ?? '-';
    const keyHitsKey = this.storage.bucketKeys(`key:${keyId}`)[0];
    const keyLimit = check.keyId ? check.keyLimit : 0;
    const slots = check.keyId ? check.slots : undefined;
    const budgets = check.keyId ? check.budgets : undefined;
    const keys = [
      this.storage.bucketKeys(`auth-failure:${check.subject}`)[1],
      this.storage.bucketKeys(`ip:${check.subject}`)[0],
      keyHitsKey,
      // Without slots the script touches neither set; it is still given keys of the same slot.
      slots?.keys.inFlight ?? keyHitsKey,
      slots?.keys.streams ?? keyHitsKey,
      this.leasesKey,
    ];
    const args: (string | number)[] = [
      check.windowMs,
      check.checkLockout ? 1 : 0,
      check.ipLimit,
      keyLimit,
      slots ? 1 : 0,
      Date.now(),
      slots?.leaseEndsAt ?? 0,
      slots?.requestId ?? '',
      slots?.keyCap ?? 0,
      slots?.streamCap ?? 0,
      budgets?.reservation?.lease ?? '',
      budgets?.reservation?.leaseEndsAt ?? 0,
    ];
    if (budgets) {
      budgets.counters.forEach((counter, i) => {
        keys.push(counter.key);
        args.push(counter.limit, budgets.amounts[i] ?? 0, counter.keepMs);
      });
    }
    const [verdict, ipHits, ipLeft, keyHits, keyLeft, locked, refusedBudget, ...used] =
      (await this.storage.run(() => ADMIT.run(this.redis, keys, args))) as number[];
    return {
      verdict: VERDICTS[verdict ?? 0] ?? 'admitted',
      ip:
        check.ipLimit > 0
          ? { limit: check.ipLimit, hits: ipHits ?? 0, msLeft: ipLeft ?? 0 }
          : undefined,
      key: keyLimit > 0 ? { limit: keyLimit, hits: keyHits ?? 0, msLeft: keyLeft ?? 0 } : undefined,
      lockoutMsLeft: locked ?? 0,
      refusedBudget: refusedBudget ? refusedBudget - 1 : undefined,
      budgetsUsed: used,
    };
  }
}
