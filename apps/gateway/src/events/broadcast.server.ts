import type { AppConfig } from '@gatehouse/config';
import {
  BroadcastEvent,
  type BroadcastPayloads,
  broadcastChannel,
  redisOptionsFromUrl,
} from '@gatehouse/queue';
import { ServerRedis } from '@nestjs/microservices';
import type { KeyCache } from '../auth/key-cache.js';
import type { InFlightRequests } from '../proxy/in-flight-requests.js';

/**
 * The Redis transport server that receives broadcasts. Handlers are added by channel name
 * (not @EventPattern) because channels carry the deployment's REDIS_KEY_PREFIX.
 */
export function createBroadcastServer(
  config: AppConfig,
  keyCache: KeyCache,
  inFlight: InFlightRequests,
): ServerRedis {
  const server = new ServerRedis({
    ...redisOptionsFromUrl(config.REDIS_URL),
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryDelay: 500,
  });
  server.addHandler(
    broadcastChannel(config.REDIS_KEY_PREFIX, BroadcastEvent.keyChanged),
    (payload: BroadcastPayloads[typeof BroadcastEvent.keyChanged]) => {
      if (!payload || typeof payload.keyId !== 'string') return Promise.resolve();
      keyCache.invalidateKey(payload.keyId);
      // A revoked key's requests in progress end too, on every replica.
      return inFlight.keyChanged(payload.keyId);
    },
    true,
  );
  // Broadcasts sent while we were disconnected are lost: start from an empty cache.
  server.on('ready', () => keyCache.clear());
  return server;
}
