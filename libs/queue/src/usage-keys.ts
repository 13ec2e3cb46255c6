/**
 * Admission state (rate-limit counters, lockouts, token totals) lives in one Redis Cluster hash
 * slot, tagged `{limits}`: the gateway checks all of it for a request in one Lua script, and a
 * script may only touch keys of one slot.
 */
/**
 * An upstream account's rate-limit cooldown (set by proxy-worker, read by the admin API): one
 * slot, tagged `{accounts}`, for every account's, so a worker reads them all in one pipeline.
 */
export function accountCooldownKey(prefix: string, accountId: string): string {
  return `${prefix}:{accounts}:cooldown:${accountId}`;
}

export function limitsKey(prefix: string, name: string): string {
  return `${prefix}:{limits}:${name}`;
}
