import { randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_LENGTH = 40; // ~238 bits of entropy
const KEY_PATTERN = /^gk_([0-9a-f]{8})_([A-Za-z0-9]{32,128})$/;

export type GeneratedApiKey = {
  /** The full key, shown once to whoever created it. */
  key: string;
  /** `gk_<8 hex>`: safe to store and display. */
  prefix: string;
};

/** Generates a client key `gk_<8 hex>_<40 base62>`. */
export function generateApiKey(): GeneratedApiKey {
  const prefix = `gk_${randomBytes(4).toString('hex')}`;
  return { key: `${prefix}_${randomBase62(SECRET_LENGTH)}`, prefix };
}

/** True when the string has the shape of a client key (says nothing about validity). */
export function looksLikeApiKey(candidate: string): boolean {
  return KEY_PATTERN.test(candidate);
}

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: rejecting larger bytes keeps every character equally likely.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}
