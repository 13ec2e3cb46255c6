import {
  BroadcastEvent,
  CF_ACCESS_KEYS_REFRESH_INTERVAL_MS,
  cfAccessKeysKey,
  type BroadcastPublisher,
} from '@gatehouse/queue';
import type { Redis } from 'ioredis';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { refreshingOnUnknownKid } from './unknown-kid-refresh.js';

/** Re-read the relayed set at most this often. */
const CACHE_MS = 60_000;
/** After asking for a refresh, wait this long at most for a new set to appear. */
const REFRESH_WAIT_MS = 3_000;
const REFRESH_POLL_MS = 200;

/**
 * Access signing keys as relayed by proxy-worker through Redis (CF_ACCESS_JWKS_SOURCE=relay):
 * the gateway never reaches out itself. A token naming a key id the set lacks (Cloudflare
 * rotated) makes it ask the relay for a fresh fetch and wait briefly for the new set, at most
 * once per CF_ACCESS_KEYS_REFRESH_INTERVAL_MS (see refreshingOnUnknownKid).
 */
export function relayedAccessKeys(
  redis: Redis,
  broadcast: BroadcastPublisher,
  redisKeyPrefix: string,
): JWTVerifyGetKey {
  const key = cfAccessKeysKey(redisKeyPrefix);
  let cached: { raw: string; set: JSONWebKeySet; at: number } | undefined;

  const read = async (): Promise<JSONWebKeySet | undefined> => {
    const raw = await redis.get(key).catch(() => null);
    if (!raw) return undefined;
    const set = JSON.parse(raw) as JSONWebKeySet;
    cached = { raw, set, at: Date.now() };
    return set;
  };
  const current = async () =>
    cached && Date.now() - cached.at < CACHE_MS ? cached.set : await read();

  const lookup: JWTVerifyGetKey = async (header, token) => {
    const set = await current();
    // A plain JOSEError reads as "keys unavailable" (503), not as a bad token (403).
    if (!set) throw new errors.JOSEError('no Access signing keys have been relayed yet');
    return createLocalJWKSet(set)(header, token);
  };

  // Done when the relay has written a set other than the one held, or after REFRESH_WAIT_MS
  // (it may have had nothing new, or have fetched moments ago for another replica).
  const refresh = async (kid: string | undefined): Promise<void> => {
    const before = cached?.raw;
    await broadcast.publish(BroadcastEvent.cfAccessKeysRefresh, { kid: kid ?? null });
    const deadline = Date.now() + REFRESH_WAIT_MS;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, REFRESH_POLL_MS));
      await read();
      if (cached?.raw !== before) return;
    }
  };

  return refreshingOnUnknownKid(lookup, refresh, CF_ACCESS_KEYS_REFRESH_INTERVAL_MS);
}
