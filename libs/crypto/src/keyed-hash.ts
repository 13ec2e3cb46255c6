import { type KeyObject, createHmac, createSecretKey } from 'node:crypto';

/**
 * HMAC-SHA256 of a client key under the server's pepper: what is stored (hex) and looked up.
 * Keys are high-entropy, so a fast keyed hash suffices (no scrypt) and a database dump alone
 * cannot confirm a guessed key. The pepper is made a key once, not per call.
 */
export class ApiKeyHasher {
  private readonly pepper: KeyObject;

  constructor(pepper: string) {
    this.pepper = createSecretKey(Buffer.from(pepper, 'utf8'));
  }

  /** The raw digest, for comparing in constant time (fixed length). */
  digest(key: string): Buffer {
    return createHmac('sha256', this.pepper).update(key).digest();
  }

  /** The stored form: the digest in hex. */
  hash(key: string): string {
    return this.digest(key).toString('hex');
  }
}
