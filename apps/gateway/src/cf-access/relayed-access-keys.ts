import { BroadcastEvent, cfAccessKeysKey } from '@gatehouse/queue';
import type { Redis } from 'ioredis';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { BroadcastPublisher } from '../events/broadcast.publisher.js';

/** Re-read the relayed set at most this often. */
const CACHE_MS = 60_000;
/** After asking for a refresh, wait this long at most for the new key to appear. */
const REFRESH_WAIT_MS = 3_000;
const REFRESH_POLL_MS = 200;

/**
 * Access signing keys as relayed by proxy-worker through Redis (CF_ACCESS_JWKS_SOURCE=relay):
 * the gateway never reaches out itself. A token naming a key id the set lacks (Cloudflare
 * rotated) makes it ask the relay for a fresh fetch and wait briefly for it.
 */
export function relayedAccessKeys(
  redis: Redis,
  broadcast: BroadcastPublisher,
  redisKeyPrefix: string,
): JWTVerifyGetKey {
  const key = cfAccessKeysKey(redisKeyPrefix);
  let cached: { set: JSONWebKeySet; at: number } | undefined;

  const read = async (): Promise<JSONWebKeySet | undefined> => {
    const raw = await redis.get(key).catch(() => null);
    if (!raw) return undefined;
    const set = JSON.parse(raw) as JSONWebKeySet;
    cached = { set, at: Date.now() };
    return set;
  };
  const current = async () =>
    cached && Date.now() - cached.at < CACHE_MS ? cached.set : await read();

  const refreshedWith = async (kid: string | undefined): Promise<JSONWebKeySet | undefined> => {
    await broadcast.publish(BroadcastEvent.cfAccessKeysRefresh, { kid: kid ?? null });
    const deadline = Date.now() + REFRESH_WAIT_MS;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, REFRESH_POLL_MS));
      const set = await read();
      if (set?.keys.some((k) => k.kid === kid)) return set;
    }
    return undefined;
  };

  return async (header, token) => {
    const set = await current();
    // A plain JOSEError reads as "keys unavailable" (503), not as a bad token (403).
    if (!set) throw new errors.JOSEError('no Access signing keys have been relayed yet');
    try {
      return await createLocalJWKSet(set)(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      const fresh = await refreshedWith(header.kid);
      if (!fresh) throw err;
      return createLocalJWKSet(fresh)(header, token);
    }
  };
}
