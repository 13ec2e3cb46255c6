import { randomUUID } from 'node:crypto';
import { AUDIT_EVENTS_PER_JOB, type AuditEvent } from './audit-contract.js';
import { AUDIT_JOB_BODY_CHARS, auditJobBatches, nextJobLength } from './audit-job-batches.js';

const event = (bodyChars = 0): AuditEvent => ({
  v: 1,
  id: randomUUID(),
  type: 'request.completed',
  at: new Date().toISOString(),
  actor: 'client',
  data: {},
  ...(bodyChars > 0 ? { bodies: { request: 'x'.repeat(bodyChars) } } : {}),
});

describe('audit job batches', () => {
  it('puts up to AUDIT_EVENTS_PER_JOB events without bodies in one job, in order', () => {
    const events = Array.from({ length: 2 * AUDIT_EVENTS_PER_JOB + 3 }, () => event());
    const batches = auditJobBatches(events);
    expect(batches.map((b) => b.length)).toEqual([AUDIT_EVENTS_PER_JOB, AUDIT_EVENTS_PER_JOB, 3]);
    expect(batches.flat()).toEqual(events);
  });

  it('starts a new job once the bodies pass AUDIT_JOB_BODY_CHARS', () => {
    const quarter = AUDIT_JOB_BODY_CHARS / 4;
    const events = Array.from({ length: 10 }, () => event(quarter));
    // Each event's bodies are a little over a quarter (the JSON around the text): three fit.
    expect(nextJobLength(events)).toBe(3);
    expect(auditJobBatches(events).map((b) => b.length)).toEqual([3, 3, 3, 1]);
  });

  it('always takes at least one event, however large its bodies', () => {
    const events = [event(2 * AUDIT_JOB_BODY_CHARS), event()];
    expect(auditJobBatches(events).map((b) => b.length)).toEqual([1, 1]);
    expect(nextJobLength(events, 1)).toBe(1);
    expect(nextJobLength([])).toBe(0);
  });
});
