import { BUDGET_NAMES, type BudgetName, budgetCounterKey, budgetPeriod } from '@gatehouse/budgets';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectRedis, type RedisClient } from '@gatehouse/queue';
import {
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import type { RequestContext } from '../audit-trail/request-context.js';
import { KeysService } from '../keys/keys.service.js';

export type BudgetResetResult = { key_id: string; reset: BudgetName[] };

/**
 * Gives a key its budgets back for the rest of their current UTC periods, by deleting their
 * counters: the next request starts each from zero. Earlier periods are left as they are.
 */
@Injectable()
export class BudgetReset {
  private readonly logger = new Logger(BudgetReset.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRedis() private readonly redis: RedisClient,
    private readonly keys: KeysService,
    private readonly audit: GatewayAudit,
  ) {}

  async reset(
    keyId: string,
    ctx: RequestContext,
    budgets: readonly BudgetName[] = BUDGET_NAMES,
  ): Promise<BudgetResetResult> {
    const key = await this.keys.get(keyId); // 404 for an unknown id
    // A revoked key is never admitted again: nothing of it is left to reset.
    if (key.status === 'revoked') throw new NotFoundException('This key is revoked');
    // In the order budgets are listed everywhere else, each once.
    const names = BUDGET_NAMES.filter((name) => budgets.includes(name));
    const now = new Date();
    const counters = names.map((name) =>
      budgetCounterKey(this.config.REDIS_KEY_PREFIX, key.id, budgetPeriod(name, now)),
    );
    try {
      // One command: every counter is in the admission slot ({limits}).
      await this.redis.del(...counters);
    } catch (err) {
      this.logger.warn(`could not reset budgets: ${(err as Error).message}`);
      throw new ServiceUnavailableException('Budget counters are unavailable; try again shortly');
    }
    this.audit.record(ctx, 'key.budget_reset', { budgets: names }, key.id);
    return { key_id: key.id, reset: names };
  }
}
