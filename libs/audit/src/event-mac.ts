import { createHmac } from 'node:crypto';
import { sameInConstantTime } from '@gatehouse/crypto';
import { canonicalJson } from './canonical-json.js';

/**
 * The MAC an audit event carries from its producer: HMAC-SHA256 under AUDIT_EVENT_KEY over the
 * event's JSON as it crosses the queue, without the `mac` field (added last). The audit queue
 * lives in Redis; with the MAC, whoever can write to Redis but does not hold the key cannot add
 * history.
 *
 * The audit app MACs `JSON.stringify` of what it parsed, without `mac`: for any text that
 * `JSON.stringify` wrote, stringify(parse(text)) is that text again (key order, numbers and
 * escapes survive the round trip), so both ends MAC the same bytes without a canonical form,
 * whose recursive sort cost three times as much per event on each side.
 */
function macOf(key: string, json: string): string {
  return createHmac('sha256', key).update(json).digest('base64url');
}

/** `event` with its MAC, as the producer puts it on the queue (a `mac` it carried is replaced). */
export function signedAuditEvent<T extends object>(key: string, event: T): T & { mac: string } {
  // The audit app leaves `mac` out too. (Copied only then: a deleted field would slow stringify.)
  const fields = 'mac' in event ? withoutMac(event) : event;
  return { ...fields, mac: macOf(key, JSON.stringify(fields)) } as T & { mac: string };
}

function withoutMac(event: object): object {
  const copy = { ...event } as Record<string, unknown>;
  delete copy.mac;
  return copy;
}

/**
 * Whether `raw` (an event as parsed from the queue) carries a MAC made with `key` over exactly its
 * other fields: over their JSON, or over their canonical JSON as releases before this one signed
 * (events they queued may still be waiting after an upgrade).
 */
export function hasValidAuditEventMac(key: string, raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const { mac, ...fields } = raw as { mac?: unknown };
  if (typeof mac !== 'string') return false;
  const matches = (expected: string): boolean => sameInConstantTime(mac, expected);
  return matches(macOf(key, JSON.stringify(fields))) || matches(macOf(key, canonicalJson(fields)));
}
