import {
  bodiesHash,
  boundJson,
  boundText,
  type ChainedFields,
  REDACTION_MARGIN_CHARS,
} from '@gatehouse/audit';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { Inject, Injectable } from '@nestjs/common';
import { AuditRedaction } from './audit-redaction.js';
import { REQUEST_FIELD_MAX, type ValidAuditEvent, validateAuditEvent } from './event-validation.js';

/** A validated, redacted event ready to be chained: `fields` is exactly what gets hashed. */
export type PreparedEvent = {
  fields: Omit<ChainedFields, 'data'> & { data: Record<string, unknown> };
  bodies: Record<string, unknown> | null;
};

/**
 * Characters of strings kept of an event's `data` and of a dead letter's payload. Events from
 * Gatehouse's own apps are far smaller; the bound is for a payload put on the queue by hand.
 */
export const DATA_MAX_CHARS = 64 * 1024;

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
      job_id: jobId === null ? null : this.redaction.text(boundText(jobId, 200)).slice(0, 200),
      reason: this.redaction.text(boundText(reason, 500)).slice(0, 500),
      payload: this.redaction.value(boundJson(raw ?? null, DATA_MAX_CHARS).value),
    };
  }

  private fromValid(event: ValidAuditEvent): PreparedEvent {
    const request = event.request;
    const field = (name: keyof typeof REQUEST_FIELD_MAX): string | null => {
      const value = request?.[name];
      if (value == null) return null;
      const max = REQUEST_FIELD_MAX[name];
      return this.redaction.text(boundText(value, max)).slice(0, max);
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
        data: this.redaction.value(
          boundJson(event.data, DATA_MAX_CHARS).value as Record<string, unknown>,
        ),
        bodies_hash: bodiesHash(bodies),
      },
      bodies,
    };
  }

  /**
   * Bodies only with AUDIT_CAPTURE_BODIES, and at most AUDIT_BODY_MAX_BYTES of JSON: cut to the
   * cap (plus the redactor's margin) first, then redacted, then cut to the cap exactly.
   */
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
    const max = this.config.AUDIT_BODY_MAX_BYTES;
    const originalBytes = Buffer.byteLength(JSON.stringify(picked));
    const bounded = boundJson(picked, max + REDACTION_MARGIN_CHARS).value;
    const redacted = this.redaction.value(bounded as Record<string, unknown>);
    return capJson(redacted, max, originalBytes);
  }
}

/**
 * Returns `value` if it is whole (`originalBytes`, the size before any bounding, fits) and its
 * JSON fits in `maxBytes`; else a marker holding a prefix of that JSON (the text was redacted
 * before it was cut, so a cut cannot expose a secret).
 */
export function capJson(
  value: Record<string, unknown>,
  maxBytes: number,
  originalBytes?: number,
): Record<string, unknown> {
  const json = JSON.stringify(value);
  const bytes = originalBytes ?? Buffer.byteLength(json);
  if (bytes <= maxBytes && Buffer.byteLength(json) <= maxBytes) return value;
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
