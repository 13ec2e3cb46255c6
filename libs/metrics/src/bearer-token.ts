import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A check of `Authorization: Bearer <token>` against the configured token, in constant time:
 * both sides are hashed first, so neither the token's length nor its prefix leaks through timing.
 */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return false;
    return timingSafeEqual(digest(authorization.slice('Bearer '.length).trim()), expected);
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
