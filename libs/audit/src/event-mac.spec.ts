import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { hasValidAuditEventMac, signedAuditEvent } from './event-mac.js';

const key = randomBytes(32).toString('base64url');

/** What the audit app reads: the event after the queue's JSON round trip. */
const throughQueue = (event: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(event)) as Record<string, unknown>;

const event = () => ({
  v: 1,
  id: randomUUID(),
  at: new Date(),
  type: 'request.completed',
  actor: 'client',
  key_id: randomUUID(),
  gone: undefined,
  request: { request_id: randomUUID(), ip: '10.0.0.1', method: 'POST', path: '/v1/chat' },
  data: {
    '10': 'integer-like keys come first in JS objects',
    '2': 'and in ascending order',
    z: [1.5, -0, 1e21, 0.1 + 0.2, null, { b: 1, a: 'é\u2028\ud800"\\' }],
    nan: Number.NaN,
  },
});

describe('audit event MAC', () => {
  it('holds after the queue JSON round trip, dates, undefined fields and odd values included', () => {
    expect(hasValidAuditEventMac(key, throughQueue(signedAuditEvent(key, event())))).toBe(true);
  });

  it('signs over a stale mac field, not with it', () => {
    const resigned = signedAuditEvent(key, { ...event(), mac: 'stale' });
    expect(resigned.mac).not.toBe('stale');
    expect(hasValidAuditEventMac(key, throughQueue(resigned))).toBe(true);
  });

  it('refuses a changed field, a reordered event, another key and a missing MAC', () => {
    const signed = throughQueue(signedAuditEvent(key, event()));
    expect(hasValidAuditEventMac(key, { ...signed, actor: 'admin' })).toBe(false);
    const { v, ...rest } = signed;
    expect(hasValidAuditEventMac(key, { ...rest, v })).toBe(false);
    expect(hasValidAuditEventMac(randomBytes(32).toString('base64url'), signed)).toBe(false);
    const { mac, ...unsigned } = signed;
    expect(typeof mac).toBe('string');
    expect(hasValidAuditEventMac(key, unsigned)).toBe(false);
    expect(hasValidAuditEventMac(key, { ...unsigned, mac: 42 })).toBe(false);
    expect(hasValidAuditEventMac(key, [signed])).toBe(false);
  });

  it('still accepts an event signed over its canonical JSON, as earlier releases queued them', () => {
    const wire = throughQueue(event());
    const mac = createHmac('sha256', key).update(canonicalJson(wire)).digest('base64url');
    expect(hasValidAuditEventMac(key, { ...wire, mac })).toBe(true);
    expect(hasValidAuditEventMac(key, { ...wire, actor: 'admin', mac })).toBe(false);
  });
});
