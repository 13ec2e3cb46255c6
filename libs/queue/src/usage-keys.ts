/**
 * An upstream account's rate-limit cooldown (set by proxy-worker, read by the admin API): one
 * slot, tagged `{accounts}`, for every account's, so a worker reads them all in one pipeline.
 */
export function accountCooldownKey(prefix: string, accountId: string): string {
  return `${prefix}:{accounts}:cooldown:${accountId}`;
}

/**
 * Admission state (rate-limit counters, lockouts, token totals) lives in one Redis Cluster hash
 * slot, tagged `{limits}`: the gateway checks all of it for a request in one Lua script, and a
 * script may only touch keys of one slot.
 */
export function limitsKey(prefix: string, name: string): string {
  return `${prefix}:{limits}:${name}`;
}

/** What a concurrency-slot set holds: a key's requests in flight, or an address's open streams. */
export type SlotSetKind = 'inflight:key' | 'streams:ip';

/** A concurrency-slot set: request ids scored by lease end (see the gateway's ConcurrencySlots). */
export function slotSetKey(prefix: string, kind: SlotSetKind, id: string): string {
  return limitsKey(prefix, `${kind}:${id}`);
}

/**
 * Whether a key names a slot set under `prefix`: all a worker may remove a request from. The
 * prefixes are built once, for a test made on every request's slot sets.
 */
export function slotSetKeyTest(prefix: string): (key: string) => boolean {
  const perKey = slotSetKey(prefix, 'inflight:key', '');
  const perAddress = slotSetKey(prefix, 'streams:ip', '');
  return (key) => key.startsWith(perKey) || key.startsWith(perAddress);
}
