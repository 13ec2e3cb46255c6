import { type KeyObject, createHmac, createSecretKey } from 'node:crypto';

/**
 * HMAC-SHA256 of a client key under the server's pepper. Keys are high-entropy, so a fast keyed
 * hash suffices (no scrypt) and a database dump alone cannot confirm a guessed key.
 */
export function hashApiKey(pepper: string, key: string): string {
  return createHmac('sha256', pepper).update(key).digest('hex');
}

/**
 * hashApiKey for the request path: the pepper made a key once, not per call, and the digest
 * left raw so that one hash can both be compared in constant time and, as hex, looked up.
 */
export class PresentedKeyHasher {
  private readonly pepper: KeyObject;

  constructor(pepper: string) {
    this.pepper = createSecretKey(Buffer.from(pepper, 'utf8'));
  }

  /** The HMAC-SHA256 of `presented`; its hex is hashApiKey(pepper, presented). */
  digest(presented: string): Buffer {
    return createHmac('sha256', this.pepper).update(presented).digest();
  }
}
