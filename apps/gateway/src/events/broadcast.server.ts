import type { AppConfig } from '@gatehouse/config';
import { BroadcastEvent, BroadcastServer } from '@gatehouse/queue';
import type { KeyCache } from '../auth/key-cache.js';
import type { PriceBook } from '../prices/price-book.service.js';
import type { InFlightRequests } from '../proxy/in-flight-requests.js';

/** What the broadcasts act on in this process. */
export type BroadcastReceivers = {
  keyCache: KeyCache;
  inFlight: InFlightRequests;
  priceBook: PriceBook;
};

/** The Redis transport server that receives the gateway's broadcasts (a microservice of its app). */
export function createBroadcastServer(
  config: AppConfig,
  { keyCache, inFlight, priceBook }: BroadcastReceivers,
): BroadcastServer {
  const server = new BroadcastServer(config);
  server.receive(BroadcastEvent.keyChanged, (payload) => {
    if (typeof payload?.keyId !== 'string') return;
    keyCache.invalidateKey(payload.keyId);
    // A revoked key's requests in progress end too, on every replica.
    return inFlight.keyChanged(payload.keyId);
  });
  // The payload says nothing the table does not: read it again. A failure is logged there and
  // the last table kept; the periodic refresh tries again.
  server.receive(BroadcastEvent.pricesChanged, () => priceBook.reload().catch(() => undefined));
  // Broadcasts sent while we were disconnected are lost: start from an empty cache, and read
  // the prices again.
  server.on('ready', () => {
    keyCache.clear();
    void priceBook.reload().catch(() => undefined);
  });
  return server;
}
