import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectRedis } from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';

// A crashed worker cannot decrement: in-flight counters expire if nobody touches them.
const INFLIGHT_TTL_SECONDS = 600;

/**
 * Per-account state shared by every worker through Redis: cooldowns after rate limits, and
 * requests in flight (for least-loaded selection).
 */
@Injectable()
export class AccountState {
  private readonly prefix: string;

  constructor(
    @InjectRedis() private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  /** Milliseconds each account still cools down (0 = available), in input order. */
  async cooldowns(accountIds: string[]): Promise<number[]> {
    if (accountIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of accountIds) pipeline.pttl(this.cooldownKey(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([, ms]) => Math.max(0, Number(ms)));
  }

  async coolDown(accountId: string, ms: number): Promise<void> {
    // Keep the later of an existing and the new reset time.
    const current = await this.redis.pttl(this.cooldownKey(accountId));
    if (current >= ms) return;
    await this.redis.set(this.cooldownKey(accountId), '1', 'PX', Math.max(1, Math.round(ms)));
  }

  async inFlight(accountIds: string[]): Promise<number[]> {
    if (accountIds.length === 0) return [];
    const values = await this.redis.mget(accountIds.map((id) => this.inflightKey(id)));
    return values.map((v) => Math.max(0, Number(v ?? 0)));
  }

  async acquire(accountId: string): Promise<void> {
    await this.redis
      .multi()
      .incr(this.inflightKey(accountId))
      .expire(this.inflightKey(accountId), INFLIGHT_TTL_SECONDS)
      .exec();
  }

  async release(accountId: string): Promise<void> {
    await this.redis.decr(this.inflightKey(accountId));
  }

  private cooldownKey(id: string): string {
    return `${this.prefix}:account:{${id}}:cooldown`;
  }

  private inflightKey(id: string): string {
    return `${this.prefix}:account:{${id}}:inflight`;
  }
}
