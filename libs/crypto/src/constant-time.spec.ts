import { randomBytes } from 'node:crypto';
import { sameInConstantTime } from './constant-time.js';

describe('sameInConstantTime', () => {
  const secret = randomBytes(32).toString('hex');

  it('accepts the same string', () => {
    expect(sameInConstantTime(secret, `${secret}`)).toBe(true);
  });

  it('refuses a string of the same length that differs in one place', () => {
    const last = secret.endsWith('0') ? '1' : '0';
    expect(sameInConstantTime(secret, `${secret.slice(0, -1)}${last}`)).toBe(false);
  });

  it('refuses a prefix, an extension and the empty string without throwing', () => {
    expect(sameInConstantTime(secret, secret.slice(0, -1))).toBe(false);
    expect(sameInConstantTime(secret, `${secret}0`)).toBe(false);
    expect(sameInConstantTime(secret, '')).toBe(false);
    expect(sameInConstantTime('', '')).toBe(true);
  });

  it('compares bytes, not UTF-16 units: same length in characters, different in bytes', () => {
    expect(sameInConstantTime('é', 'e')).toBe(false);
    expect(sameInConstantTime('é', 'é')).toBe(true);
  });
});
