import { timingSafeEqual } from 'node:crypto';

/**
 * Whether two strings hold the same UTF-8 bytes, compared in time that does not depend on where
 * they differ. Strings of different byte lengths are unequal at once: a length is no secret for
 * what this compares (hex MACs, session tokens of one fixed format), and timingSafeEqual itself
 * throws on unequal lengths.
 */
export function sameInConstantTime(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
