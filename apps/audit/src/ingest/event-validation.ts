import { AUDIT_EVENT_VERSION, type AuditActor } from '@gatehouse/queue';

/** An event that passed validation: the shape the chain writer relies on, ids lower-cased. */
export type ValidAuditEvent = {
  id: string;
  type: string;
  at: string;
  actor: AuditActor;
  key_id: string | null;
  request: {
    request_id: string | null;
    ip: string | null;
    method: string | null;
    path: string | null;
  } | null;
  data: Record<string, unknown>;
  bodies: unknown;
};

export type Validation = { ok: true; event: ValidAuditEvent } | { ok: false; reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** ISO 8601 date-time with an explicit offset, as `Date.prototype.toISOString` writes it. */
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const TYPE = /^[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)*$/;
const ACTORS: ReadonlySet<string> = new Set<AuditActor>(['admin', 'client', 'system', 'anonymous']);

/** Column widths of audit_events (migration 1763900003000): longer request fields are cut. */
export const REQUEST_FIELD_MAX = { request_id: 128, ip: 64, method: 16, path: 2048 } as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a queued payload against AuditEvent v1. Anything that would not fit the table (and so
 * would fail the whole batch's INSERT) is refused here, so a malformed event can only ever
 * become a dead letter, never block the queue.
 */
export function validateAuditEvent(raw: unknown): Validation {
  if (!isPlainObject(raw)) return { ok: false, reason: 'event is not an object' };
  if (raw.v !== AUDIT_EVENT_VERSION)
    return { ok: false, reason: `unsupported event version ${String(raw.v)}` };
  if (typeof raw.id !== 'string' || !UUID.test(raw.id))
    return { ok: false, reason: 'id is not a UUID' };
  if (typeof raw.type !== 'string' || raw.type.length > 64 || !TYPE.test(raw.type)) {
    return { ok: false, reason: 'type is missing or not an event type name' };
  }
  if (
    typeof raw.at !== 'string' ||
    raw.at.length > 40 ||
    !ISO_DATE_TIME.test(raw.at) ||
    !Number.isFinite(Date.parse(raw.at))
  ) {
    return { ok: false, reason: 'at is not an ISO 8601 date-time' };
  }
  if (typeof raw.actor !== 'string' || !ACTORS.has(raw.actor))
    return { ok: false, reason: 'actor is not known' };
  let keyId: string | null = null;
  if (raw.key_id !== undefined && raw.key_id !== null) {
    if (typeof raw.key_id !== 'string' || !UUID.test(raw.key_id))
      return { ok: false, reason: 'key_id is not a UUID' };
    keyId = raw.key_id.toLowerCase();
  }
  let request: ValidAuditEvent['request'] = null;
  if (raw.request !== undefined && raw.request !== null) {
    if (!isPlainObject(raw.request)) return { ok: false, reason: 'request is not an object' };
    const fields: Record<string, string | null> = {};
    for (const name of Object.keys(REQUEST_FIELD_MAX) as (keyof typeof REQUEST_FIELD_MAX)[]) {
      const value = raw.request[name];
      if (value === undefined || value === null) fields[name] = null;
      else if (typeof value === 'string') fields[name] = value;
      else return { ok: false, reason: `request.${name} is not a string` };
    }
    request = fields as ValidAuditEvent['request'];
  }
  if (!isPlainObject(raw.data)) return { ok: false, reason: 'data is not an object' };
  return {
    ok: true,
    event: {
      // Postgres prints uuids in lower case: hash what will be read back.
      id: raw.id.toLowerCase(),
      type: raw.type,
      at: raw.at,
      actor: raw.actor as AuditActor,
      key_id: keyId,
      request,
      data: raw.data,
      bodies: raw.bodies,
    },
  };
}
