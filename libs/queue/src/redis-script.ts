import { createHash } from 'node:crypto';
import clusterKeySlot from 'cluster-key-slot';
import type { RedisClient } from './redis-connections.js';

/** A script's keys do not share one hash slot: Redis Cluster would refuse it (CROSSSLOT). */
export class CrossSlotKeysError extends Error {}

/**
 * A Lua script run by hash (EVALSHA): its text crosses the wire only when Redis lacks it.
 *
 * All keys of one call must live in one Redis Cluster hash slot (a `{hash tag}` they share,
 * docs/redis-topologies.md). That is checked on every call, in every topology, so a key that
 * would break a Cluster deployment fails the tests on a single server too.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, keys: string[], args: (string | number)[]): Promise<unknown> {
    assertOneSlot(keys);
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** Throws CrossSlotKeysError when `keys` span more than one Cluster hash slot. */
export function assertOneSlot(keys: readonly string[]): void {
  if (keys.length > 1 && clusterKeySlot.generateMulti([...keys]) < 0) {
    // Slots by position, not key names: names can carry client addresses.
    const slots = keys.map((k) => clusterKeySlot(k)).join(', ');
    throw new CrossSlotKeysError(`the keys of one Redis call span hash slots (${slots})`);
  }
}
