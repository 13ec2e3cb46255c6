import { reclaimLapsedLeases } from '@gatehouse/budgets';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectRedis, type RedisClient } from '@gatehouse/queue';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

/**
 * Gives back budget reservations nobody settled by the end of their lease: the worker running
 * the request died, or its job never ran. Every gateway replica runs it; each reservation is
 * given back once (the leases set decides).
 */
@Injectable()
export class BudgetReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BudgetReconciler.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.reclaim()
        .then(() => undefined)
        .finally(() => (this.running = undefined));
    }, this.config.BUDGET_RECONCILE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass: every lapsed reservation, in batches. Returns how many were given back. */
  async reclaim(now = Date.now()): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const reclaimed = await reclaimLapsedLeases(
          this.redis,
          this.config.REDIS_KEY_PREFIX,
          now,
          BATCH,
        );
        total += reclaimed;
        if (reclaimed < BATCH) break;
      }
      if (total > 0) this.logger.log(`gave back ${total} lapsed budget reservation(s)`);
    } catch (err) {
      this.logger.warn(`could not reclaim lapsed budget reservations: ${(err as Error).message}`);
    }
    return total;
  }
}

const BATCH = 100;
