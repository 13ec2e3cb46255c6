import { AUDIT_EVENT_VERSION } from '@gatehouse/queue';
import type { AppConfig } from '@gatehouse/config';
import { randomBytes, randomUUID } from 'node:crypto';
import { AuditEventPreparer, DATA_MAX_CHARS } from './audit-event-preparer.js';
import { AuditRedaction } from './audit-redaction.js';

const BODY_MAX = 16 * 1024;

/** The real redaction, counting the characters of every string it is asked to read. */
class CountingRedaction extends AuditRedaction {
  read = 0;
  override text(value: string): string {
    this.read += value.length;
    return super.text(value);
  }
  override value<T>(value: T): T {
    this.read += JSON.stringify(value)?.length ?? 0;
    return super.value(value);
  }
}

function setup(): { preparer: AuditEventPreparer; redaction: CountingRedaction } {
  const config = {
    ADMIN_API_KEY: randomBytes(32).toString('hex'),
    KEY_PEPPER: randomBytes(32).toString('hex'),
    AUDIT_REDACT_PATTERNS: [],
    AUDIT_CAPTURE_BODIES: true,
    AUDIT_BODY_MAX_BYTES: BODY_MAX,
  } as unknown as AppConfig;
  const redaction = new CountingRedaction(config);
  return { preparer: new AuditEventPreparer(config, redaction), redaction };
}

function event(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    v: AUDIT_EVENT_VERSION,
    id: randomUUID(),
    type: 'request.completed',
    at: new Date().toISOString(),
    actor: 'client',
    data: {},
    ...extra,
  };
}

const MiB = 1024 * 1024;

describe('AuditEventPreparer bounds what it redacts', () => {
  it('reads a 1 MiB body only up to the cap and its margin, and marks it truncated', () => {
    const { preparer, redaction } = setup();
    const prompt = 'eyJ-'.repeat(MiB / 4);
    const prepared = preparer.prepare(
      event({ bodies: { request: { messages: [{ content: prompt }] }, response: 'ok' } }),
      null,
    );
    if (!prepared.ok) throw new Error(prepared.deadLetter.reason);
    expect(redaction.read).toBeLessThan(4 * BODY_MAX);
    const bodies = prepared.event.bodies as { truncated: boolean; original_bytes: number };
    expect(bodies.truncated).toBe(true);
    expect(bodies.original_bytes).toBeGreaterThan(MiB);
    expect(Buffer.byteLength(JSON.stringify(bodies))).toBeLessThanOrEqual(BODY_MAX);
  });

  it('still hides a credential that straddles the cut', () => {
    const { preparer } = setup();
    const secret = `sk-${randomBytes(24).toString('hex')}`;
    // The secret starts just before the cap: a cut at the cap would leave a stub of it.
    const prompt = `${'a'.repeat(BODY_MAX - 40)} ${secret} ${'b'.repeat(MiB)}`;
    const prepared = preparer.prepare(event({ bodies: { request: { prompt } } }), null);
    if (!prepared.ok) throw new Error(prepared.deadLetter.reason);
    const stored = JSON.stringify(prepared.event.bodies);
    expect(stored).not.toContain(secret.slice(0, 12));
  });

  it('reads a huge path, data and dead-letter payload only up to their bounds', () => {
    const { preparer, redaction } = setup();
    const huge = 'eyJ-'.repeat(MiB / 4);
    const prepared = preparer.prepare(
      event({ request: { path: `/${huge}` }, data: { note: huge, list: [huge, huge] } }),
      null,
    );
    if (!prepared.ok) throw new Error(prepared.deadLetter.reason);
    expect(prepared.event.fields.path?.length).toBeLessThanOrEqual(2048);
    expect(redaction.read).toBeLessThan(4 * DATA_MAX_CHARS);

    redaction.read = 0;
    const dead = preparer.prepare({ not: 'an event', huge }, null);
    expect(dead.ok).toBe(false);
    expect(redaction.read).toBeLessThan(4 * DATA_MAX_CHARS);
  });
});
