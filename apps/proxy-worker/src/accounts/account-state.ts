import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { MAX_COOLDOWN_MS } from '@gatehouse/providers';
import {
  accountCooldownKey,
  BroadcastEvent,
  BroadcastPublisher,
  InjectRedis,
  type RedisClient,
} from '@gatehouse/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AccountPool } from './account-pool.service.js';

/**
 * Per-account state: cooldowns after rate limits, and this worker's requests in flight (for
 * least-loaded selection).
 *
 * Cooldowns are held in memory, so choosing an account costs no Redis round trip. The worker
 * that meets a rate limit notes it here, stores it in Redis and broadcasts it; every other
 * worker notes the broadcast. Redis is the shared record, read after every load of the pool
 * (at start, on every reconnect of the broadcast listener, and every ACCOUNT_REFRESH_MS), so a
 * missed broadcast costs at most one more call to a resting account (answered with another rate
 * limit) within that time.
 */
@Injectable()
export class AccountState {
  private readonly logger = new Logger(AccountState.name);
  private readonly prefix: string;
  private readonly inflight = new Map<string, number>();
  /** Account id -> when its cooldown ends (this process's clock, epoch ms). */
  private readonly coolingUntil = new Map<string, number>();

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly pool: AccountPool,
    private readonly broadcast: BroadcastPublisher,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
    pool.onLoaded(() => void this.refresh());
  }

  /** Milliseconds each account still cools down (0 = available), in input order. */
  cooldowns(accountIds: readonly string[]): number[] {
    const now = Date.now();
    return accountIds.map((id) => {
      const until = this.coolingUntil.get(id);
      if (until === undefined) return 0;
      if (until > now) return until - now;
      this.coolingUntil.delete(id);
      return 0;
    });
  }

  /**
   * A rate limit told us to rest `accountId` for `ms`: noted here at once, stored in Redis (the
   * later of the existing and the new end is kept) and announced to the other workers.
   */
  async coolDown(accountId: string, ms: number): Promise<void> {
    this.note(accountId, ms);
    this.logger.log(`account ${accountId} rate limited: resting it ${Math.round(ms)} ms`);
    const current = await this.redis.pttl(this.cooldownKey(accountId));
    if (current >= ms) return;
    await this.redis.set(this.cooldownKey(accountId), '1', 'PX', Math.max(1, Math.round(ms)));
    void this.broadcast.publish(BroadcastEvent.accountCooldown, { accountId, ms }); // logs a failure
  }

  /**
   * A cooldown of `ms` from now (ours, another worker's broadcast, or Redis's record), keeping a
   * later end we know of. Never longer than a rate limit can ask for (MAX_COOLDOWN_MS).
   */
  note(accountId: string, ms: number): void {
    if (!(ms > 0)) return;
    const until = Date.now() + Math.min(ms, MAX_COOLDOWN_MS);
    if (until > (this.coolingUntil.get(accountId) ?? 0)) this.coolingUntil.set(accountId, until);
  }

  /** Cooldowns as Redis holds them now, for the pool's accounts (the shared record). */
  async refresh(): Promise<void> {
    const ids = this.pool.active.map((a) => a.id);
    try {
      const remaining = await this.stored(ids);
      ids.forEach((id, i) => this.note(id, remaining[i] ?? 0));
    } catch (err) {
      this.logger.warn(`could not read account cooldowns: ${(err as Error).message}`);
    }
  }

  /** Milliseconds each account cools down according to Redis (0 = available), in input order. */
  async stored(accountIds: readonly string[]): Promise<number[]> {
    // Plain commands issued in one turn on the command connection go out as one write.
    const ttls = await Promise.all(accountIds.map((id) => this.redis.pttl(this.cooldownKey(id))));
    return ttls.map((ms) => Math.max(0, Number(ms)));
  }

  /**
   * Requests this worker has in flight per account. Kept in memory: it costs nothing per request
   * (three Redis round trips otherwise), and balancing each worker's own load balances the sum.
   */
  inFlight(accountIds: string[]): number[] {
    return accountIds.map((id) => this.inflight.get(id) ?? 0);
  }

  acquire(accountId: string): void {
    this.inflight.set(accountId, (this.inflight.get(accountId) ?? 0) + 1);
  }

  release(accountId: string): void {
    const left = (this.inflight.get(accountId) ?? 1) - 1;
    if (left > 0) this.inflight.set(accountId, left);
    else this.inflight.delete(accountId);
  }

  private cooldownKey(id: string): string {
    return accountCooldownKey(this.prefix, id);
  }
}
