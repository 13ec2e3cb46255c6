/**
 * Admission state (rate-limit counters, lockouts, token totals) lives in one Redis Cluster hash
 * slot, tagged `{limits}`: the gateway checks all of it for a request in one Lua script, and a
 * script may only touch keys of one slot.
 */
export function limitsKey(prefix: string, name: string): string {
  return `${prefix}:{limits}:${name}`;
}

/** Tokens a key used on one UTC day; the worker adds, the gateway enforces tokens/day. */
export function tokenUsageKey(prefix: string, keyId: string, at = new Date()): string {
  return limitsKey(prefix, `usage:tokens:${keyId}:${at.toISOString().slice(0, 10)}`);
}

/** Kept a little over a day so the whole UTC day is covered whatever the time zone. */
export const TOKEN_USAGE_TTL_SECONDS = 2 * 24 * 3600;
