/**
 * Names that live in Redis and outlive deploys: never rename one, add a new name instead.
 */
export const QueueName = {
  proxy: 'proxy',
  audit: 'audit',
  /** Retention and other audit housekeeping (repeatable and on-demand jobs). */
  auditMaintenance: 'audit-maintenance',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/** BullMQ prefix: the hash tag keeps every key of a queue in one Redis Cluster slot. */
export function bullPrefix(redisKeyPrefix: string): string {
  return `{${redisKeyPrefix}}`;
}

/** Broadcast events (pub/sub, every replica sees them), as opposed to queued work. */
export const BroadcastEvent = {
  /** A key was revoked, rotated, patched or expired: drop it from every auth cache. */
  keyChanged: 'key.changed',
  /** An upstream account was created, changed or deleted: workers reload their pool. */
  accountChanged: 'account.changed',
  /** A gateway met an unknown Access key id: the relaying worker fetches the keys again. */
  cfAccessKeysRefresh: 'cf-access.keys-refresh',
  /**
   * A client went away: the worker running this request aborts the upstream call; the others
   * remember it for a while, in case the job reaches one of them after all.
   */
  proxyCancel: 'proxy.cancel',
  /** A worker met a rate limit: every worker rests the account for `ms` from now. */
  accountCooldown: 'account.cooldown',
  /** The price overrides were replaced: every gateway reloads its price book. */
  pricesChanged: 'prices.changed',
} as const;
export type BroadcastEvent = (typeof BroadcastEvent)[keyof typeof BroadcastEvent];

export type BroadcastPayloads = {
  [BroadcastEvent.keyChanged]: { keyId: string };
  [BroadcastEvent.accountChanged]: { accountId: string };
  [BroadcastEvent.proxyCancel]: { requestId: string };
  [BroadcastEvent.accountCooldown]: { accountId: string; ms: number };
  [BroadcastEvent.cfAccessKeysRefresh]: { kid: string | null };
  /** `at`: when the change was committed (for logs; receivers reload whatever it says). */
  [BroadcastEvent.pricesChanged]: { at: string };
};

/** Pub/sub channels are global to a Redis server (not per db), so they carry the prefix. */
export function broadcastChannel(redisKeyPrefix: string, event: BroadcastEvent): string {
  return `${redisKeyPrefix}:${event}`;
}

/**
 * How often, at most, the Access signing keys are refreshed because a token named a key id not
 * in the set: by each gateway (fetching them itself or asking the relay) and by the relaying
 * proxy-worker. Key ids are chosen by whoever sends a token, so made-up ones must not turn each
 * request into a refresh; a real rotation met just after another refresh waits this long at
 * worst.
 */
export const CF_ACCESS_KEYS_REFRESH_INTERVAL_MS = 5_000;

/** Cloudflare Access signing keys (a JWKS document) relayed by proxy-worker to the gateways. */
export function cfAccessKeysKey(redisKeyPrefix: string): string {
  return `${redisKeyPrefix}:cf-access:jwks`;
}
