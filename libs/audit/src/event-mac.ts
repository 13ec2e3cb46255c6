import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/**
 * The MAC an audit event carries from its producer: HMAC-SHA256 under AUDIT_EVENT_KEY over the
 * event's canonical JSON (without the `mac` field itself). The audit queue lives in Redis; with
 * the MAC, whoever can write to Redis but does not hold the key cannot add history.
 */
export function auditEventMac(key: string, event: object): string {
  const signed: Record<string, unknown> = { ...(event as Record<string, unknown>) };
  delete signed.mac;
  return createHmac('sha256', key).update(canonicalJson(signed)).digest('base64url');
}

/**
 * `event` as the audit app will read it, with its MAC: after the JSON round trip the queue makes
 * (dates become strings, undefined fields go), so producer and audit app MAC the same bytes.
 */
export function signedAuditEvent<T extends object>(key: string, event: T): T & { mac: string } {
  const wire = JSON.parse(JSON.stringify(event)) as T;
  return { ...wire, mac: auditEventMac(key, wire) };
}

/** Whether `raw` carries a MAC made with `key` over exactly its other fields. */
export function hasValidAuditEventMac(key: string, raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const mac = (raw as { mac?: unknown }).mac;
  if (typeof mac !== 'string') return false;
  const expected = Buffer.from(auditEventMac(key, raw));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
