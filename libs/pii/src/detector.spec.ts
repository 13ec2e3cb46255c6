import { PiiDetector, type PiiEntityType } from './detector.js';

const detector = new PiiDetector({
  customPatterns: [{ name: 'employee-id', pattern: 'EMP-\\d{6}' }],
  terms: ['Project Falcon', 'Acme', 'x'],
});
const found = (text: string, type?: PiiEntityType) =>
  detector
    .find(text)
    .filter((f) => !type || f.type === type)
    .map((f) => f.value);

describe('PiiDetector', () => {
  describe('emails', () => {
    it.each([
      ['mail john.doe+tag@example.com now', 'john.doe+tag@example.com'],
      ['<jane@sub.example.co.uk>.', 'jane@sub.example.co.uk'],
      ['end of sentence: a_b@example.org.', 'a_b@example.org'],
    ])('finds the address in %j', (text, email) => {
      expect(found(text, 'email')).toEqual([email]);
    });

    it.each([
      'user@localhost',
      'a@b.c',
      '@example.com',
      'x@1.2.3.4',
      'me@-bad.com',
      'foo@ bar.com',
    ])('ignores %j', (text) => {
      expect(found(text, 'email')).toEqual([]);
    });
  });

  describe('phone numbers', () => {
    it.each([
      ['call +1 (415) 555-2671 today', '+1 (415) 555-2671'],
      ['call 415-555-2671.', '415-555-2671'],
      ['call (415) 555 2671', '(415) 555 2671'],
      ['call 1-415-555-2671', '1-415-555-2671'],
      ['call +44 20 7946 0958', '+44 20 7946 0958'],
      ['call +4930123456', '+4930123456'],
    ])('finds the number in %j', (text, phone) => {
      expect(found(text, 'phone')).toEqual([phone]);
    });

    it.each([
      ['an unformatted national number (an order number or id)', 'order 4155552671'],
      ['an invalid area code', 'call 123-555-2671'],
      ['an invalid international number', 'call +1 222 333 3333'],
      ['a date', 'on 2024-01-15 and 15.01.2024'],
      ['an order number', 'order #12345678-90'],
      ['a number glued to a word', 'id abc415-555-2671'],
    ])('ignores %s', (_name, text) => {
      expect(found(text, 'phone')).toEqual([]);
    });

    it('leaves cards and IP addresses to their own detectors', () => {
      expect(
        detector.find('card 4111 1111 1111 1111 ip 192.168.100.200').map((f) => f.type),
      ).toEqual(['card', 'ip']);
    });
  });

  describe('cards', () => {
    it.each([
      '4111111111111111',
      '4111 1111 1111 1111',
      '4111-1111-1111-1111',
      '378282246310005',
      '6011 0009 9013 9424',
    ])('finds %s', (card) => {
      expect(found(`pay with ${card}.`, 'card')).toEqual([card]);
    });

    it.each([
      ['a Luhn-failing number', '4111 1111 1111 1112'],
      ['a number too long', '41111111111111111111111'],
      ['double separators', '4111  1111  1111  1111'],
      ['digits after a decimal point', '3.4111111111111111'],
      ['a number glued to letters', 'ab4111111111111111'],
    ])('ignores %s', (_name, text) => {
      expect(found(text, 'card')).toEqual([]);
    });

    it('finds a card after an unrelated number in the same run', () => {
      expect(found('ref 12 4111 1111 1111 1111', 'card')).toEqual(['4111 1111 1111 1111']);
    });
  });

  describe('IBANs', () => {
    it.each([
      'DE89370400440532013000',
      'DE89 3704 0044 0532 0130 00',
      'GB82 WEST 1234 5698 7654 32',
      'gb82west12345698765432',
      'NL91ABNA0417164300',
    ])('finds %s', (iban) => {
      expect(found(`IBAN: ${iban}, thanks`, 'iban')).toEqual([iban]);
    });

    it.each([
      ['an invalid checksum', 'DE89370400440532013001'],
      ['a wrong length', 'DE8937040044053201300'],
      ['odd grouping', 'DE89 370 4004 4053 2013 000'],
      ['an unknown country', 'XX89370400440532013000'],
      ['more characters after it', 'DE89370400440532013000AB'],
    ])('ignores %s', (_name, text) => {
      expect(found(text, 'iban')).toEqual([]);
    });

    it('finds an IBAN that starts inside a rejected candidate', () => {
      expect(found('XX12 DE89 3704 0044 0532 0130 00', 'iban')).toEqual([
        'DE89 3704 0044 0532 0130 00',
      ]);
    });
  });

  describe('IP addresses', () => {
    it.each([
      ['from 192.168.1.10.', '192.168.1.10'],
      ['host 10.0.0.1:8080', '10.0.0.1'],
      ['v6 2001:db8::8a2e:370:7334 here', '2001:db8::8a2e:370:7334'],
      ['mapped ::ffff:192.0.2.128', '::ffff:192.0.2.128'],
      ['[fe80::1]:443', 'fe80::1'],
    ])('finds the address in %j', (text, ip) => {
      expect(found(text, 'ip')).toEqual([ip]);
    });

    it.each([
      ['an octet over 255', '999.1.1.1'],
      ['a version string', 'version 1.2.3.4.5'],
      ['a leading zero', '01.02.03.04'],
      ['a C++ scope', 'std::vector and a::b'],
      ['the loopback shorthand', 'bound to ::1.'],
      ['a time', 'at 12:30:45'],
      ['a MAC address', '00:1A:2B:3C:4D:5E'],
    ])('ignores %s', (_name, text) => {
      expect(found(text, 'ip')).toEqual([]);
    });
  });

  describe('SSNs', () => {
    it('finds a valid SSN', () => {
      expect(found('SSN 123-45-6789.', 'ssn')).toEqual(['123-45-6789']);
    });

    it.each([
      '000-12-3456',
      '666-12-3456',
      '912-34-5678',
      '123-00-4567',
      '123-45-0000',
      '1123-45-6789',
    ])('ignores %s', (text) => {
      expect(found(text, 'ssn')).toEqual([]);
    });
  });

  describe('credentials', () => {
    it('finds keys, bearer tokens and JWTs', () => {
      const jwt = `eyJ${'h'.repeat(10)}.${'p'.repeat(10)}.${'s'.repeat(10)}`;
      expect(
        found(`key sk-ant-${'a'.repeat(20)} then Bearer abcdefgh123 and ${jwt}`, 'credential'),
      ).toEqual([`sk-ant-${'a'.repeat(20)}`, 'Bearer abcdefgh123', jwt]);
    });
  });

  describe('custom patterns and terms', () => {
    it('labels custom matches with the pattern name', () => {
      expect(detector.find('badge EMP-123456')).toEqual([
        { type: 'custom', start: 6, end: 16, value: 'EMP-123456', label: 'EMPLOYEE_ID' },
      ]);
    });

    it('finds terms case-insensitively, as whole words, longest first', () => {
      expect(found('PROJECT FALCON at acme; Acmeish and acme-corp', 'term')).toEqual([
        'PROJECT FALCON',
        'acme',
        'acme',
      ]);
    });

    it('ignores terms shorter than two characters', () => {
      expect(found('x marks the spot', 'term')).toEqual([]);
    });

    it('escapes terms and handles many of them in one pass', () => {
      const terms = Array.from({ length: 500 }, (_, i) => `client-${i}.co (x)`);
      const many = new PiiDetector({ terms: [...terms, 'a.b*c'] });
      expect(many.find('for client-42.co (x) and a.b*c, not aXbbc').map((f) => f.value)).toEqual([
        'client-42.co (x)',
        'a.b*c',
      ]);
    });
  });

  describe('overlaps', () => {
    it('keeps the earlier start, then the longer', () => {
      const overlapping = new PiiDetector({
        customPatterns: [
          { name: 'short', pattern: 'abc' },
          { name: 'long', pattern: 'abcdef' },
          { name: 'later', pattern: 'cdefgh' },
        ],
      });
      expect(overlapping.find('abcdefgh').map((f) => f.label)).toEqual(['LONG']);
    });

    it('prefers an email over a term inside it', () => {
      expect(found('write to acme@example.com')).toEqual(['acme@example.com']);
    });

    it('returns findings ordered by start with their positions', () => {
      const text = 'EMP-123456 mailed a@example.com from 10.0.0.1';
      const findings = detector.find(text);
      expect(findings.map((f) => f.type)).toEqual(['custom', 'email', 'ip']);
      for (const f of findings) expect(text.slice(f.start, f.end)).toBe(f.value);
    });
  });

  it('throws at construction on a custom pattern that does not compile', () => {
    expect(() => new PiiDetector({ customPatterns: [{ name: 'bad', pattern: '(' }] })).toThrow();
  });
});
