import { bodiesHash, type ChainedFields } from '@gatehouse/audit';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { Inject, Injectable } from '@nestjs/common';
import { AuditRedaction } from './audit-redaction.js';
import { REQUEST_FIELD_MAX, type ValidAuditEvent, validateAuditEvent } from './event-validation.js';

/** A validated, redacted event ready to be chained: `fields` is exactly what gets hashed. */
export type PreparedEvent = {
  fields: Omit<ChainedFields, 'data'> & { data: Record<string, unknown> };
  bodies: Record<string, unknown> | null;
};

/** A payload that cannot enter the chain: kept (redacted) with the reason. */
export type DeadLetter = { job_id: string | null; reason: string; payload: unknown };

export type Prepared = { ok: true; event: PreparedEvent } | { ok: false; deadLetter: DeadLetter };

@Injectable()
export class AuditEventPreparer {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redaction: AuditRedaction,
  ) {}

  prepare(raw: unknown, jobId: string | null): Prepared {
    const checked = validateAuditEvent(raw);
    if (!checked.ok) return { ok: false, deadLetter: this.deadLetter(raw, jobId, checked.reason) };
    return { ok: true, event: this.fromValid(checked.event) };
  }

  deadLetter(raw: unknown, jobId: string | null, reason: string): DeadLetter {
    return {
      job_id: jobId === null ? null : this.redaction.text(jobId).slice(0, 200),
      reason: this.redaction.text(reason).slice(0, 500),
      payload: this.redaction.value(raw ?? null),
    };
  }

  private fromValid(event: ValidAuditEvent): PreparedEvent {
    const request = event.request;
    const field = (name: keyof typeof REQUEST_FIELD_MAX): string | null => {
      const value = request?.[name];
      return value == null ? null : this.redaction.text(value).slice(0, REQUEST_FIELD_MAX[name]);
    };
    const bodies = this.bodies(event.bodies);
    return {
      fields: {
        event_id: event.id,
        type: event.type,
        at: event.at,
        actor: event.actor,
        key_id: event.key_id,
        request_id: field('request_id'),
        ip: field('ip'),
        method: field('method'),
        path: field('path'),
        data: this.redaction.value(event.data),
        bodies_hash: bodiesHash(bodies),
      },
      bodies,
    };
  }

  /** Bodies only with AUDIT_CAPTURE_BODIES, redacted, and at most AUDIT_BODY_MAX_BYTES of JSON. */
  private bodies(raw: unknown): Record<string, unknown> | null {
    if (
      !this.config.AUDIT_CAPTURE_BODIES ||
      typeof raw !== 'object' ||
      raw === null ||
      Array.isArray(raw)
    ) {
      return null;
    }
    const picked: Record<string, unknown> = {};
    for (const part of ['request', 'response'] as const) {
      const value = (raw as Record<string, unknown>)[part];
      if (value !== undefined) picked[part] = value;
    }
    if (Object.keys(picked).length === 0) return null;
    const redacted = this.redaction.value(picked);
    return capJson(redacted, this.config.AUDIT_BODY_MAX_BYTES);
  }
}

/**
 * Returns `value` if its JSON fits in `maxBytes`, else a marker holding a prefix of that JSON
 * (the text was redacted before it was cut, so a cut cannot expose a secret).
 */
export function capJson(value: Record<string, unknown>, maxBytes: number): Record<string, unknown> {
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json);
  if (bytes <= maxBytes) return value;
  let budget = maxBytes - 96;
  for (;;) {
    const preview = truncateUtf8(json, Math.max(0, budget));
    const capped = { truncated: true, original_bytes: bytes, preview };
    const size = Buffer.byteLength(JSON.stringify(capped));
    if (size <= maxBytes || budget <= 0) return capped;
    budget -= size - maxBytes;
  }
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to a character boundary.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}
