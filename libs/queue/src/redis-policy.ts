/**
 * BullMQ loses jobs when Redis evicts keys: the one eviction policy Gatehouse can run on.
 */
export const REQUIRED_MAXMEMORY_POLICY = 'noeviction';

/** `maxmemory_policy` from an `INFO memory` reply, or undefined when it is not there. */
export function maxmemoryPolicy(info: string): string | undefined {
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}
