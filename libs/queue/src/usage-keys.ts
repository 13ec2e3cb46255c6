/**
 * Admission state (rate-limit counters, lockouts, token totals) lives in one Redis Cluster hash
 * slot, tagged `{limits}`: the gateway checks all of it for a request in one Lua script, and a
 * script may only touch keys of one slot.
 */
export function limitsKey(prefix: string, name: string): string {
  return `${prefix}:{limits}:${name}`;
}
