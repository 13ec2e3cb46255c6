import { BUDGET_NAMES, budgetCounterKey, budgetPeriod } from '@gatehouse/budgets';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectRedis, type RedisClient } from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';
import type { ClientKey } from '../auth/principal.js';
import { type BudgetState, budgetState } from './budget-state.js';

/** Where a key's budgets stand now (used includes what is reserved by requests in flight). */
@Injectable()
export class BudgetStatus {
  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async of(key: ClientKey, now = new Date()): Promise<BudgetState[]> {
    const budgets = BUDGET_NAMES.flatMap((name) => {
      const limit = key.budgets[name];
      return limit === null ? [] : [{ name, limit, period: budgetPeriod(name, now) }];
    });
    if (budgets.length === 0) return [];
    const counters = await this.redis.mget(
      budgets.map((b) => budgetCounterKey(this.config.REDIS_KEY_PREFIX, key.id, b.period)),
    );
    return budgets.map((b, i) =>
      budgetState(b.name, b.limit, Number(counters[i] ?? 0), b.period.endsAt, now.getTime()),
    );
  }
}
