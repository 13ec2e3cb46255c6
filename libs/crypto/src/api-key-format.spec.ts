import { createHmac, randomBytes } from 'node:crypto';
import { generateApiKey, looksLikeApiKey } from './api-key-format.js';
import { ApiKeyHasher } from './keyed-hash.js';

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
    const a = new ApiKeyHasher('pepper-a');
    expect(a.hash(key)).toBe(new ApiKeyHasher('pepper-a').hash(key));
    expect(a.hash(key)).not.toBe(new ApiKeyHasher('pepper-b').hash(key));
    expect(a.hash(key)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stores the HMAC-SHA256 of the key under the pepper, in hex; its digest is the same bytes', () => {
    const { key } = generateApiKey();
    const pepper = randomBytes(32).toString('hex');
    const hasher = new ApiKeyHasher(pepper);
    const stored = createHmac('sha256', pepper).update(key).digest('hex');
    expect(hasher.hash(key)).toBe(stored);
    expect(hasher.digest(key).toString('hex')).toBe(stored);
    expect(hasher.hash(`${key}x`)).not.toBe(stored);
    expect(new ApiKeyHasher(`${pepper}x`).digest(key)).not.toEqual(hasher.digest(key));
  });
});
