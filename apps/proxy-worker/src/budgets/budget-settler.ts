import { type Spend, actualAmounts, decodeLease, settleLease } from '@gatehouse/budgets';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectRedis, type ProxyJobData, type RedisClient } from '@gatehouse/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';

/**
 * Settles a request's budget reservation once its outcome is known: to the provider's usage, to
 * what streamed before a cancel, or to nothing when the call failed. On the command connection
 * (writes coalesced per turn), so it shares a socket write with the reply it follows. A settle
 * that fails leaves the reservation (the higher amount) to lapse and be given back by a
 * gateway's reconciler.
 */
@Injectable()
export class BudgetSettler {
  private readonly logger = new Logger(BudgetSettler.name);
  private readonly prefix: string;

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  async settle(job: ProxyJobData, spend: Spend): Promise<void> {
    const hold = job.budget;
    if (!hold) return;
    const lease = decodeLease(hold.lease);
    if (!lease) {
      this.logger.warn(`request ${job.requestId}: unreadable budget reservation, left to lapse`);
      return;
    }
    try {
      await settleLease(
        this.redis,
        this.prefix,
        hold.lease,
        lease,
        actualAmounts(lease, spend, job.price),
      );
    } catch (err) {
      this.logger.warn(`could not settle a budget reservation: ${(err as Error).message}`);
    }
  }
}
