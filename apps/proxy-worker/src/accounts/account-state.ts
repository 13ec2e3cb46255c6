import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { accountCooldownKey, InjectRedis, type RedisClient } from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';

export type Check = { cooling: number[]; cancelled: boolean };

/**
 * Per-account state: cooldowns after rate limits, shared by every worker through Redis, and
 * this worker's requests in flight (for least-loaded selection).
 */
@Injectable()
export class AccountState {
  private readonly prefix: string;
  private readonly inflight = new Map<string, number>();

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  /**
   * Milliseconds each account still cools down (0 = available), in input order, and whether
   * `cancelKey` (the gateway's "client went away" mark) exists: one round trip for all of them.
   * Plain commands issued in one tick on the auto-pipelined connection go out as one write (on a
   * Cluster, one per node, each command routed by its own key); an explicit pipeline would be a
   * write of its own beside the cancel check's.
   */
  async check(accountIds: readonly string[], cancelKey?: string): Promise<Check> {
    const cooldowns = accountIds.map((id) => this.redis.pttl(this.cooldownKey(id)));
    const mark =
      cancelKey === undefined
        ? undefined
        : // A failed cancel check goes ahead: a reply nobody reads costs less than a lost one.
          this.redis.exists(cancelKey).catch(() => 0);
    const [ttls, marked] = await Promise.all([Promise.all(cooldowns), mark]);
    return {
      cooling: ttls.map((ms) => Math.max(0, Number(ms))),
      cancelled: marked !== undefined && marked > 0,
    };
  }

  async coolDown(accountId: string, ms: number): Promise<void> {
    // Keep the later of an existing and the new reset time.
    const current = await this.redis.pttl(this.cooldownKey(accountId));
    if (current >= ms) return;
    await this.redis.set(this.cooldownKey(accountId), '1', 'PX', Math.max(1, Math.round(ms)));
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
