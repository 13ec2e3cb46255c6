import {
  type Lease,
  encodeLease,
  reclaimLapsedLeases,
  reservationLeasesKey,
  settleLease,
} from '@gatehouse/budgets';
import { Redis } from 'ioredis';
import { createRedisNamespace, TEST_REDIS_URL } from './support/test-redis.js';

/**
 * Settling and reclaiming reservations against a real Redis: each reservation is given back or
 * settled once, whoever gets there first, and a counter never goes below zero.
 */
describe('budget leases (settle and reclaim scripts)', () => {
  const namespace = createRedisNamespace();
  const prefix = namespace.prefix;
  let redis: Redis;
  let seq = 0;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    redis.disconnect();
    await namespace.cleanup();
  });

  /** A reservation of `amount` tokens held as the admission script holds one. */
  async function reserve(amount: number, leaseEndsAt = Date.now() + 60_000) {
    seq++;
    const key = `${prefix}:{limits}:budget:test:${seq}`;
    const lease: Lease = {
      requestId: `req-${seq}`,
      counters: [{ key, unit: 'tokens', amount, keepMs: 60_000 }],
    };
    const member = encodeLease(lease);
    await redis.incrby(key, amount);
    await redis.zadd(reservationLeasesKey(prefix), leaseEndsAt, member);
    return { key, lease, member };
  }

  it('settles to the actual amount once; a second settle changes nothing', async () => {
    const { key, lease, member } = await reserve(100);
    await redis.incrby(key, 40); // another request's reservation on the same counter
    expect(await settleLease(redis, prefix, member, lease, [30])).toBe(true);
    expect(await redis.get(key)).toBe('70');
    expect(await settleLease(redis, prefix, member, lease, [0])).toBe(false);
    expect(await redis.get(key)).toBe('70');
  });

  it('adds the whole actual amount when the reservation had lapsed and was given back', async () => {
    const { key, lease, member } = await reserve(100, Date.now() - 1);
    expect(await reclaimLapsedLeases(redis, prefix, Date.now())).toBeGreaterThanOrEqual(1);
    expect(await redis.get(key)).toBe('0');
    expect(await redis.zscore(reservationLeasesKey(prefix), member)).toBeNull();
    // The worker was only slow: its usage still counts.
    expect(await settleLease(redis, prefix, member, lease, [30])).toBe(false);
    expect(await redis.get(key)).toBe('30');
  });

  it('never takes a counter below zero (reset while a request was in flight)', async () => {
    const { key, lease, member } = await reserve(100);
    await redis.del(key); // an admin reset the budget
    await redis.set(key, '5', 'PX', 60_000); // new traffic since
    await settleLease(redis, prefix, member, lease, [10]);
    expect(await redis.get(key)).toBe('0');
    expect(await redis.pttl(key)).toBeGreaterThan(0);
  });

  it('recreates an expired counter only to add to it, with its retention', async () => {
    const { key, lease, member } = await reserve(100);
    await redis.del(key);
    await settleLease(redis, prefix, member, lease, [0]);
    expect(await redis.exists(key)).toBe(0);
    const again = await reserve(50);
    await redis.del(again.key);
    await settleLease(redis, prefix, again.member, again.lease, [70]);
    expect(await redis.get(again.key)).toBe('20');
    expect(await redis.pttl(again.key)).toBeGreaterThan(50_000);
  });
});
