import type { AppConfig } from '@gatehouse/config';
import { Redis } from 'ioredis';
import {
  AdmissionCounters,
  type AdmissionCheck,
  type BudgetCounter,
  type BudgetsToCheck,
  type SlotsToTake,
} from '../apps/gateway/src/admission/admission-counters.js';
import { RedisThrottlerStorage } from '../apps/gateway/src/throttle/redis-throttler.storage.js';
import { createRedisNamespace, TEST_REDIS_URL } from './support/test-redis.js';

/**
 * The admission script against a real Redis: every check of a request in one round trip, in
 * order (lockout, per-IP, per-key, tokens/day, concurrency slots), and a refused check counts
 * nothing after it.
 */
describe('admission counters (one Lua script)', () => {
  const namespace = createRedisNamespace();
  const config = { REDIS_KEY_PREFIX: namespace.prefix } as AppConfig;
  let redis: Redis;
  let storage: RedisThrottlerStorage;
  let counters: AdmissionCounters;
  let roundTrips: number;
  let subjectSeq = 0;

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    storage = new RedisThrottlerStorage(redis, config);
    counters = new AdmissionCounters(redis, config, storage);
    // Connected, and the script loaded (its first run falls back from EVALSHA to EVAL).
    expect((await counters.count(check())).verdict).toBe('admitted');
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = (...args: Parameters<typeof send>) => {
      roundTrips++;
      return send(...args);
    };
  });

  beforeEach(() => {
    roundTrips = 0;
  });

  afterAll(async () => {
    redis.disconnect();
    await namespace.cleanup();
  });

  /** A fresh address and key for each test, so counts do not carry over. */
  function check(overrides: Partial<AdmissionCheck> = {}): AdmissionCheck {
    subjectSeq++;
    return {
      subject: `198.51.100.${subjectSeq}`,
      checkLockout: true,
      windowMs: 60_000,
      ipLimit: 3,
      keyId: `key-${subjectSeq}`,
      keyLimit: 2,
      ...overrides,
    };
  }

  it('counts the address and the key in one round trip and reports both', async () => {
    const c = check();
    const first = await counters.count(c);
    expect(roundTrips).toBe(1);
    expect(first.verdict).toBe('admitted');
    expect(first.ip).toMatchObject({ limit: 3, hits: 1 });
    expect(first.key).toMatchObject({ limit: 2, hits: 1 });
    expect(first.ip?.msLeft).toBeGreaterThan(59_000);
  });

  it('refuses a key over its limit, and an address over its own', async () => {
    const c = check();
    await counters.count(c);
    await counters.count(c);
    expect((await counters.count(c)).verdict).toBe('key');
    // The address has 3 hits now; the fourth is refused before the key is counted again.
    const key = `${namespace.prefix}:{limits}:throttle:key:${c.keyId}:hits`;
    const before = Number(await redis.get(key));
    const refused = await counters.count(c);
    expect(refused.verdict).toBe('ip');
    expect(Number(await redis.get(key))).toBe(before);
  });

  it('refuses a locked-out address before counting anything', async () => {
    const c = check();
    const [, block] = storage.bucketKeys(`auth-failure:${c.subject}`);
    await redis.set(block, '1', 'PX', 30_000);
    const locked = await counters.count(c);
    expect(locked.verdict).toBe('locked');
    expect(locked.lockoutMsLeft).toBeGreaterThan(29_000);
    const [ipHits] = storage.bucketKeys(`ip:${c.subject}`);
    expect(await redis.exists(ipHits)).toBe(0);
    // Without the lockout check (the second call of an uncached key) the lock is not read.
    expect((await counters.count({ ...c, checkLockout: false })).verdict).toBe('admitted');
  });

  /** A budget counter of `c`'s key (its limit in the counter's unit). */
  function counter(c: AdmissionCheck, name: string, limit: number): BudgetCounter {
    return { key: `${namespace.prefix}:{limits}:budget:${name}:${c.keyId}`, limit, keepMs: 60_000 };
  }

  /** Counters with what the request reserves of each, and its reservation if it spends. */
  function budgets(
    reserved: [BudgetCounter, number][],
    reservation?: BudgetsToCheck['reservation'],
  ): BudgetsToCheck {
    return {
      counters: reserved.map(([c]) => c),
      amounts: reserved.map(([, amount]) => amount),
      ...(reservation && { reservation }),
    };
  }

  it('refuses a key whose budget is used up, checking without reserving', async () => {
    const c = check();
    const tokens = counter(c, 'tokens', 100);
    await redis.set(tokens.key, '99');
    expect((await counters.count({ ...c, budgets: budgets([[tokens, 0]]) })).verdict).toBe(
      'admitted',
    );
    expect(await redis.get(tokens.key)).toBe('99'); // a check reserves nothing
    await redis.set(tokens.key, '100');
    const spent = await counters.count({ ...c, budgets: budgets([[tokens, 0]]) });
    expect(spent.verdict).toBe('budget');
    expect(spent.refusedBudget).toBe(0);
    expect(spent.budgetsUsed).toEqual([100]);
    expect(roundTrips).toBe(5); // two SETs, a GET, two checks
  });

  it('reserves every budget in the same round trip, and refuses one that does not fit', async () => {
    const c = check({ ipLimit: 100, keyLimit: 100 });
    const leases = `${namespace.prefix}:{limits}:budget:leases`;
    const reserve = (requestId: string) =>
      budgets(
        [
          [counter(c, 'requests', 10), 1],
          [counter(c, 'tokens', 100), 40],
        ],
        { lease: `lease-${requestId}`, leaseEndsAt: Date.now() + 60_000 },
      );
    const first = await counters.count({ ...c, budgets: reserve('a') });
    expect(roundTrips).toBe(1);
    expect(first.verdict).toBe('admitted');
    expect(first.budgetsUsed).toEqual([1, 40]);
    expect(await redis.zscore(leases, 'lease-a')).not.toBeNull();
    expect((await counters.count({ ...c, budgets: reserve('b') })).budgetsUsed).toEqual([2, 80]);
    // 80 + 40 > 100: refused, and neither counter nor the leases set moves.
    const third = await counters.count({ ...c, budgets: reserve('c') });
    expect(third.verdict).toBe('budget');
    expect(third.refusedBudget).toBe(1);
    expect(third.budgetsUsed).toEqual([2, 80]);
    expect(await redis.get(counter(c, 'requests', 0).key)).toBe('2');
    expect(await redis.zscore(leases, 'lease-c')).toBeNull();
    expect(await redis.pttl(counter(c, 'tokens', 0).key)).toBeGreaterThan(50_000);
  });

  it('takes no slot for a request its budget refuses', async () => {
    const c = check({ ipLimit: 100, keyLimit: 100 });
    const taken = slots(c);
    const refused = await counters.count({
      ...c,
      slots: taken,
      budgets: budgets([[counter(c, 'tokens', 10), 11]], {
        lease: 'too-big',
        leaseEndsAt: Date.now() + 60_000,
      }),
    });
    expect(refused.verdict).toBe('budget');
    expect(await redis.zcard(taken.keys.inFlight)).toBe(0);
  });

  it('counts only the address when no key applies', async () => {
    const c = check({ keyId: undefined });
    const counted = await counters.count(c);
    expect(counted.verdict).toBe('admitted');
    expect(counted.key).toBeUndefined();
    expect(counted.ip?.hits).toBe(1);
  });

  /** Slots of a fresh key (and address) for `check`, leased for a minute. */
  function slots(c: AdmissionCheck, overrides: Partial<SlotsToTake> = {}): SlotsToTake {
    return {
      keys: {
        inFlight: `${namespace.prefix}:{limits}:inflight:key:${c.keyId}`,
        streams: `${namespace.prefix}:{limits}:streams:ip:${c.subject}`,
      },
      requestId: `req-${Math.random()}`,
      leaseEndsAt: Date.now() + 60_000,
      keyCap: 2,
      streamCap: 0,
      ...overrides,
    };
  }

  it('takes the concurrency slots in the same round trip, and refuses a full set', async () => {
    const c = check({ ipLimit: 100, keyLimit: 100 });
    const first = slots(c);
    expect((await counters.count({ ...c, slots: first })).verdict).toBe('admitted');
    expect(roundTrips).toBe(1);
    expect(await redis.zscore(first.keys.inFlight, first.requestId)).toBe(
      String(first.leaseEndsAt),
    );
    expect((await counters.count({ ...c, slots: slots(c) })).verdict).toBe('admitted');
    const third = slots(c);
    expect((await counters.count({ ...c, slots: third })).verdict).toBe('key-concurrency');
    expect(await redis.zscore(third.keys.inFlight, third.requestId)).toBeNull();
    expect(await redis.zcard(first.keys.inFlight)).toBe(2);
  });

  it("caps a stream by its address's set too, and takes neither slot when one is full", async () => {
    const c = check({ ipLimit: 100, keyLimit: 100 });
    const stream = (id: string) => slots(c, { requestId: id, keyCap: 10, streamCap: 1 });
    expect((await counters.count({ ...c, slots: stream('s1') })).verdict).toBe('admitted');
    const refused = stream('s2');
    expect((await counters.count({ ...c, slots: refused })).verdict).toBe('ip-streams');
    expect(await redis.zscore(refused.keys.inFlight, 's2')).toBeNull();
    expect(await redis.zcard(refused.keys.streams)).toBe(1);
  });

  it('frees a slot whose lease has ended (its holder died)', async () => {
    const c = check({ ipLimit: 100, keyLimit: 100 });
    const dead = slots(c, { keyCap: 1, leaseEndsAt: Date.now() + 50 });
    expect((await counters.count({ ...c, slots: dead })).verdict).toBe('admitted');
    expect((await counters.count({ ...c, slots: slots(c, { keyCap: 1 }) })).verdict).toBe(
      'key-concurrency',
    );
    await new Promise((r) => setTimeout(r, 60));
    expect((await counters.count({ ...c, slots: slots(c, { keyCap: 1 }) })).verdict).toBe(
      'admitted',
    );
  });

  it('takes no slot for a request a count refused', async () => {
    const c = check({ ipLimit: 100, keyLimit: 1 });
    await counters.count(c);
    const refused = slots(c);
    expect((await counters.count({ ...c, slots: refused })).verdict).toBe('key');
    expect(await redis.exists(refused.keys.inFlight)).toBe(0);
  });
});
