import { InjectRedis, type RedisClient } from '@gatehouse/queue';
import { Injectable } from '@nestjs/common';
import type { ClientKey } from '../auth/principal.js';
import { BudgetPlanner } from './budget-plan.js';
import { type BudgetState, budgetState } from './budget-state.js';

/** Where a key's budgets stand now (used includes what is reserved by requests in flight). */
@Injectable()
export class BudgetStatus {
  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    private readonly planner: BudgetPlanner,
  ) {}

  /** The counters read are the ones admission checks: the planner's, for the same periods. */
  async of(key: ClientKey, now = Date.now()): Promise<BudgetState[]> {
    const plan = this.planner.plan(key, undefined, now);
    if (!plan) return [];
    const counters = await this.redis.mget(plan.check.counters.map((c) => c.key));
    return plan.budgets.map((b, i) =>
      budgetState(b.name, b.limit, Number(counters[i] ?? 0), b.period.endsAt, now),
    );
  }
}
