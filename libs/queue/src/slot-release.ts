import type { RedisClient } from './redis-connections.js';

/**
 * Takes a request out of its concurrency-slot sets (see slotSetKey): one ZREM per set, issued in
 * one turn, so the command connection (writes coalesced per turn) sends them, and whatever else
 * that turn sends, in one write. The gateway calls it for a request its worker did not free; the
 * worker with the last reply. A lost removal only holds a slot until its lease ends.
 */
export async function releaseSlots(
  redis: RedisClient,
  sets: readonly string[],
  requestId: string,
): Promise<void> {
  await Promise.all(sets.map((set) => redis.zrem(set, requestId)));
}
