import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectRedis } from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';

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
    @InjectRedis() private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  /**
   * Milliseconds each account still cools down (0 = available), in input order, and whether
   * `cancelKey` (the gateway's "client went away" mark) exists: one pipeline, one round trip.
   */
  async check(accountIds: readonly string[], cancelKey?: string): Promise<Check> {
    const pipeline = this.redis.pipeline();
    for (const id of accountIds) pipeline.pttl(this.cooldownKey(id));
    if (cancelKey !== undefined) pipeline.exists(cancelKey);
    const results = (await pipeline.exec()) ?? [];
    const cooling = new Array<number>(accountIds.length);
    for (let i = 0; i < accountIds.length; i++) {
      const [err, ms] = results[i] ?? [];
      if (err) throw err;
      cooling[i] = Math.max(0, Number(ms));
    }
    // A failed cancel check goes ahead: a reply nobody reads costs less than a lost one.
    const mark = cancelKey === undefined ? undefined : results[accountIds.length];
    return { cooling, cancelled: mark !== undefined && !mark[0] && Number(mark[1]) > 0 };
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
    return `${this.prefix}:account:{${id}}:cooldown`;
  }
}
