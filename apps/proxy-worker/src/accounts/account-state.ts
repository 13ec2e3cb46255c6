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
   * `cancelKey` (the gateway's "client went away" mark) exists: sent together, one round trip.
   * The cooldowns share one hash slot and go as one pipeline (a Cluster pipeline must stay on
   * one slot); the cancel mark, in its request's slot, is its own command.
   */
  async check(accountIds: readonly string[], cancelKey?: string): Promise<Check> {
    const pipeline = this.redis.pipeline();
    for (const id of accountIds) pipeline.pttl(this.cooldownKey(id));
    const [results, mark] = await Promise.all([
      accountIds.length > 0 ? pipeline.exec() : [],
      cancelKey === undefined
        ? undefined
        : // A failed cancel check goes ahead: a reply nobody reads costs less than a lost one.
          this.redis.exists(cancelKey).catch(() => 0),
    ]);
    const cooling = new Array<number>(accountIds.length);
    for (let i = 0; i < accountIds.length; i++) {
      const [err, ms] = results?.[i] ?? [];
      if (err) throw err;
      cooling[i] = Math.max(0, Number(ms));
    }
    return { cooling, cancelled: mark !== undefined && mark > 0 };
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
