import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-SHA256 of a client key under the server's pepper. Keys are high-entropy, so a fast keyed
 * hash suffices (no scrypt) and a database dump alone cannot confirm a guessed key.
 */
export function hashApiKey(pepper: string, key: string): string {
  return createHmac('sha256', pepper).update(key).digest('hex');
}

/** Constant-time string equality: compares fixed-length digests so lengths do not leak either. */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
