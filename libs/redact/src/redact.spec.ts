import { randomBytes } from 'node:crypto';
import { REDACTED, createRedactor, findCredentials } from './redact.js';

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

/**
 * Redaction runs on attacker-chosen text (a keyless request's path is logged and audited), so
 * it must be linear in its input. A quadratic pattern takes minutes on a MiB of its worst case
 * (16 KiB of `eyJ-` took 110 ms); a linear one takes milliseconds. The bound leaves room for a
 * busy machine without letting a quadratic pattern through.
 */
describe('createRedactor on adversarial input', () => {
  const redact = createRedactor([randomBytes(20).toString('hex')]);
  const MiB = 1024 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(MiB / unit.length)).slice(0, MiB);

  it.each([
    ['JWT prefixes in one run', fill('eyJ-')],
    ['JWT-like parts', fill('eyJaaaaaaaa.')],
    ['two-part JWTs', fill('eyJaaaaaaaaa.bbbbbbbbb-')],
    ['gateway key prefixes', fill('gk_')],
    ['gateway key heads', fill('gk_0123abcd_')],
    ['admin key prefixes', fill('gha_')],
    ['upstream key prefixes', fill('sk-')],
    ['anthropic key prefixes', fill('sk-ant-')],
    ['bearer words', fill('Bearer ')],
    ['bearer and spaces', `Bearer${' '.repeat(MiB)}`],
    ['basic words', fill('Basic ')],
    ['one long run', fill('a')],
  ])('redacts a MiB of %s in linear time', (_name, input) => {
    const started = performance.now();
    redact.text(input);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('still finds a JWT that follows a dash inside a longer run, and only from its start', () => {
    const jwt = `eyJ${'h'.repeat(10)}.${'p'.repeat(10)}.${'s'.repeat(10)}`;
    expect(redact.text(`token-${jwt} rest`)).toBe(`token-${REDACTED} rest`);
    expect(redact.text(`xeyJ${'h'.repeat(10)}.${'p'.repeat(10)}.${'s'.repeat(10)}`)).not.toContain(
      REDACTED,
    );
    expect(redact.text(`eyJshort.${'p'.repeat(10)}.${'s'.repeat(10)}`)).not.toContain(REDACTED);
  });
});

describe('findCredentials', () => {
  const spans = (text: string) => findCredentials(text).map((s) => text.slice(s.start, s.end));

  it('finds what the redactor removes, where it is', () => {
    const key = gatewayKey();
    const jwt = `eyJ${'h'.repeat(10)}.${'p'.repeat(10)}.${'s'.repeat(10)}`;
    const text = `key ${key}, token-${jwt} and Bearer abcdefgh12 done`;
    expect(spans(text)).toEqual([key, jwt, 'Bearer abcdefgh12']);
  });

  it('merges overlapping matches into one span', () => {
    const upstream = `sk-${'a'.repeat(20)}`;
    expect(spans(`Authorization: Bearer ${upstream}`)).toEqual([`Bearer ${upstream}`]);
  });

  it('finds nothing in plain text', () => {
    expect(findCredentials('just a sentence with sk- and eyJ in it')).toEqual([]);
  });

  it('is linear on adversarial input', () => {
    const MiB = 1024 * 1024;
    for (const unit of ['eyJ-', 'sk-', 'Bearer ', 'gk_0123abcd_']) {
      const input = unit.repeat(Math.ceil(MiB / unit.length));
      const started = performance.now();
      findCredentials(input);
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});
