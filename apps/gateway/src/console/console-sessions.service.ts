import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { REDIS, type RedisClient } from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';
import {
  type ConsoleSession,
  newSessionId,
  newSessionRecord,
  isSessionIdShaped,
  parseSessionRecord,
  sessionRef,
  sessionStoreKey,
  sessionTtlMs,
} from './console-session.js';

/**
 * Console sessions in Redis, shared by every gateway replica: one key per session (the hash of
 * its id, under REDIS_KEY_PREFIX) that lives for the idle timeout and is renewed by each use; the
 * absolute end is inside the record, so renewals never carry a session past it.
 */
@Injectable()
export class ConsoleSessions {
  private readonly idleMs: number;
  private readonly maxMs: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {
    this.idleMs = config.CONSOLE_SESSION_IDLE_MINUTES * 60_000;
    this.maxMs = config.CONSOLE_SESSION_MAX_HOURS * 3_600_000;
  }

  get idleTimeoutSeconds(): number {
    return this.idleMs / 1000;
  }

  get maxLifetimeSeconds(): number {
    return this.maxMs / 1000;
  }

  /** A new session: its id (for the cookie only) and what the console may know of it. */
  async create(now = Date.now()): Promise<{ id: string; session: ConsoleSession }> {
    const id = newSessionId();
    const storeKey = sessionStoreKey(this.config.REDIS_KEY_PREFIX, id);
    const record = newSessionRecord(now, this.maxMs);
    await this.redis.set(storeKey, JSON.stringify(record), 'PX', this.idleMs);
    return { id, session: { ...record, storeKey, ref: sessionRef(storeKey) } };
  }

  /** The live session a cookie names, renewed for another idle period; null when there is none. */
  async resolve(id: string, now = Date.now()): Promise<ConsoleSession | null> {
    if (!isSessionIdShaped(id)) return null;
    const storeKey = sessionStoreKey(this.config.REDIS_KEY_PREFIX, id);
    // One round trip on the common path: read and renew together.
    const record = parseSessionRecord(await this.redis.getex(storeKey, 'PX', this.idleMs));
    if (!record) return null;
    const ttl = sessionTtlMs(record, now, this.idleMs);
    if (ttl === 0) {
      await this.redis.del(storeKey);
      return null;
    }
    if (ttl < this.idleMs) await this.redis.pexpire(storeKey, ttl);
    return { ...record, storeKey, ref: sessionRef(storeKey) };
  }

  async destroy(session: Pick<ConsoleSession, 'storeKey'>): Promise<void> {
    await this.redis.del(session.storeKey);
  }
}
