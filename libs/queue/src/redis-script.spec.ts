import clusterKeySlot from 'cluster-key-slot';
import type { RedisClient } from './redis-connections.js';
import { assertOneSlot, CrossSlotKeysError, RedisScript } from './redis-script.js';
import { bullPrefix } from './names.js';
import { limitsKey } from './usage-keys.js';

describe('one hash slot per Redis call', () => {
  it('refuses keys of two slots before anything reaches Redis', async () => {
    const sent: unknown[] = [];
    const redis = {
      evalsha: (...args: unknown[]) => Promise.resolve(sent.push(args)),
    } as unknown as RedisClient;
    const script = new RedisScript('return 1');
    await expect(script.run(redis, ['gh:a', 'gh:b'], [])).rejects.toBeInstanceOf(
      CrossSlotKeysError,
    );
    expect(sent).toHaveLength(0);
    await script.run(redis, ['gh:{t}:a', 'gh:{t}:b'], []);
    expect(sent).toHaveLength(1);
  });

  it('names slots, not keys, in its error (keys can carry client addresses)', () => {
    expect(() => assertOneSlot(['gh:throttle:ip:203.0.113.9', 'gh:other'])).toThrow(
      /span hash slots \(\d+, \d+\)$/,
    );
  });

  it('keeps every admission key of a deployment in one slot', () => {
    const keys = ['throttle:ip:1.2.3.4', 'inflight:key:abc', 'budget:leases', 'usage:tokens:x'].map(
      (name) => limitsKey('gatehouse', name),
    );
    expect(() => assertOneSlot(keys)).not.toThrow();
    expect(clusterKeySlot(keys[0] ?? '')).toBe(clusterKeySlot('{limits}'));
  });

  it('hash-tags the BullMQ prefix, so every key of a queue lands in one slot', () => {
    const prefix = bullPrefix('gatehouse');
    expect(() =>
      assertOneSlot([`${prefix}:proxy:wait`, `${prefix}:proxy:42`, `${prefix}:audit:events`]),
    ).not.toThrow();
  });
});
