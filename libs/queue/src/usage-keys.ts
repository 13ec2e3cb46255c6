/** Tokens a key used on one UTC day; the worker adds, the gateway enforces tokens/day. */
export function tokenUsageKey(prefix: string, keyId: string, at = new Date()): string {
  return `${prefix}:usage:tokens:{${keyId}}:${at.toISOString().slice(0, 10)}`;
}

/** Kept a little over a day so the whole UTC day is covered whatever the time zone. */
export const TOKEN_USAGE_TTL_SECONDS = 2 * 24 * 3600;
