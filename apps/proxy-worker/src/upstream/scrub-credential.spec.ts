import { randomBytes } from 'node:crypto';
import { createRedactor, REDACTED } from '@gatehouse/redact';
import { scrubCredential } from './scrub-credential.js';

describe('scrubCredential', () => {
  const redactor = createRedactor([]);
  const credential = `sk-${randomBytes(24).toString('hex')}`;

  it('removes the credential whole and the halves a provider echoes masked', () => {
    const masked = `${credential.slice(0, 7)}****${credential.slice(-4 - 2)}`;
    const body = JSON.stringify({
      error: { message: `Incorrect API key provided: ${masked}. Also ${credential}.` },
    });
    const out = scrubCredential(body, credential, redactor);
    expect(out).not.toContain(credential.slice(0, 7));
    expect(out).not.toContain(credential.slice(-6));
    expect(out).not.toContain(credential);
    expect(out).toContain('Incorrect API key provided: ');
    expect(out).toContain(REDACTED);
    expect(() => JSON.parse(out) as unknown).not.toThrow();
  });

  it('leaves runs shorter than five characters and unrelated text alone', () => {
    const body = `{"error":{"message":"model not found","code":"${credential.slice(3, 7)}"}}`;
    expect(scrubCredential(body, credential, redactor)).toBe(body);
  });

  it('also removes anything else credential-looking', () => {
    const other = `sk-${randomBytes(20).toString('hex')}`;
    expect(scrubCredential(`bad key ${other}`, credential, redactor)).toBe(`bad key ${REDACTED}`);
  });
});
