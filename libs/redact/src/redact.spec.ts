import { randomBytes } from 'node:crypto';
import { REDACTED, createRedactor } from './redact.js';

const gatewayKey = () =>
  `gk_${randomBytes(4).toString('hex')}_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'a')}`;

describe('createRedactor', () => {
  const configured = randomBytes(20).toString('hex');
  const redact = createRedactor([configured]);

  it.each([
    ['a gateway key', () => `key ${gatewayKey()}`],
    ['a bearer token', () => `Authorization: Bearer ${randomBytes(16).toString('hex')}`],
    ['an upstream key', () => `sk-${randomBytes(16).toString('hex')}`],
    ['an anthropic key', () => `sk-ant-${randomBytes(16).toString('hex')}`],
    [
      'a JWT',
      () =>
        `eyJ${randomBytes(9).toString('base64url')}.eyJ${randomBytes(9).toString('base64url')}.${randomBytes(12).toString('base64url')}`,
    ],
  ])('removes %s from text', (_name, make) => {
    const input = make();
    const out = redact.text(input);
    expect(out).toContain(REDACTED);
    const secretPart = input.split(' ').pop() as string;
    expect(out).not.toContain(secretPart);
  });

  it('removes the exact value of a configured secret', () => {
    expect(redact.text(`pepper=${configured};`)).toBe(`pepper=${REDACTED};`);
  });

  it('redacts sensitive fields by name, at any depth, and keeps the rest', () => {
    const out = redact.value({
      headers: { authorization: 'x', 'x-api-key': 'y', cookie: 'z', accept: 'application/json' },
      nested: [{ password: 'hunter2', note: `k=${configured}` }],
      count: 3,
    });
    expect(out).toEqual({
      headers: {
        authorization: REDACTED,
        'x-api-key': REDACTED,
        cookie: REDACTED,
        accept: 'application/json',
      },
      nested: [{ password: REDACTED, note: `k=${REDACTED}` }],
      count: 3,
    });
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(() => redact.value(a)).not.toThrow();
  });
});
