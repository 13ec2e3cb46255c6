import { randomBytes } from 'node:crypto';
import { generateApiKey, looksLikeApiKey } from './api-key-format.js';
import { PresentedKeyHasher, hashApiKey } from './keyed-hash.js';

describe('api key format', () => {
  it('generates keys of the documented shape with a matching display prefix', () => {
    const { key, prefix } = generateApiKey();
    expect(key).toMatch(/^gk_[0-9a-f]{8}_[A-Za-z0-9]{40}$/);
    expect(key.startsWith(`${prefix}_`)).toBe(true);
    expect(looksLikeApiKey(key)).toBe(true);
  });

  it('never repeats a key', () => {
    const keys = new Set(Array.from({ length: 500 }, () => generateApiKey().key));
    expect(keys.size).toBe(500);
  });

  it('rejects strings that are not keys', () => {
    expect(looksLikeApiKey('gk_1234567_abc')).toBe(false);
    expect(looksLikeApiKey('Bearer gk_12345678_' + 'a'.repeat(40))).toBe(false);
    expect(looksLikeApiKey('')).toBe(false);
  });
});

describe('keyed hash', () => {
  it('depends on the pepper and is stable', () => {
    const { key } = generateApiKey();
    expect(hashApiKey('pepper-a', key)).toBe(hashApiKey('pepper-a', key));
    expect(hashApiKey('pepper-a', key)).not.toBe(hashApiKey('pepper-b', key));
    expect(hashApiKey('pepper-a', key)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('on the request path, is the same hash with the pepper prepared once', () => {
    const { key } = generateApiKey();
    const pepper = randomBytes(32).toString('hex');
    const hasher = new PresentedKeyHasher(pepper);
    expect(hasher.digest(key).toString('hex')).toBe(hashApiKey(pepper, key));
    expect(hasher.digest(`${key}x`).toString('hex')).not.toBe(hashApiKey(pepper, key));
    expect(new PresentedKeyHasher(`${pepper}x`).digest(key)).not.toEqual(hasher.digest(key));
  });
});
