import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { Inject, Injectable } from '@nestjs/common';
import type { ClientKey } from './principal.js';

type Entry = { key: ClientKey; expiresAt: number };

const MAX_ENTRIES = 10_000;

/**
 * Verified keys by hash, so auth does not cost a database round trip per request. Entries are
 * dropped on every replica by the key.changed broadcast and expire after AUTH_CACHE_TTL_MS
 * anyway, which bounds staleness if a broadcast is ever missed.
 */
@Injectable()
export class KeyCache {
  private readonly byHash = new Map<string, Entry>();
  private readonly ttlMs: number;
  /**
   * Bumped by every invalidation. A lookup that started before an invalidation must not cache
   * what it read: the row may predate the change the broadcast announced.
   */
  private generationCounter = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.ttlMs = config.AUTH_CACHE_TTL_MS;
  }

  get(hash: string): ClientKey | undefined {
    const entry = this.byHash.get(hash);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.byHash.delete(hash);
      return undefined;
    }
    return entry.key;
  }

  get generation(): number {
    return this.generationCounter;
  }

  /** Caches a key read while `generation` was `readAt`; ignored if anything changed since. */
  set(hash: string, key: ClientKey, readAt: number, notAfter?: Date): void {
    if (this.ttlMs === 0 || readAt !== this.generationCounter) return;
    if (this.byHash.size >= MAX_ENTRIES) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.byHash.keys().next().value;
      if (oldest !== undefined) this.byHash.delete(oldest);
    }
    const expiresAt = Math.min(Date.now() + this.ttlMs, notAfter?.getTime() ?? Infinity);
    this.byHash.set(hash, { key, expiresAt });
  }

  invalidateKey(keyId: string): void {
    this.generationCounter++;
    for (const [hash, entry] of this.byHash) {
      if (entry.key.id === keyId) this.byHash.delete(hash);
    }
  }

  clear(): void {
    this.generationCounter++;
    this.byHash.clear();
  }
}
