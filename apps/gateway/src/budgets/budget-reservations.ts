import { decodeLease, settleLease } from '@gatehouse/budgets';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { type BudgetHold, InjectRedis, type RedisClient } from '@gatehouse/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';

/**
 * A reservation admission made, held by the request until its job is queued: from then on the
 * worker settles it. Released when the request ends without a job (invalid body, queue down).
 */
export type HeldReservation = {
  hold: BudgetHold;
  /** Output tokens to send upstream as the request's cap, when it set none. */
  outputCap?: number;
  /** The job carries the reservation now: releasing is the worker's (or the reconciler's). */
  handOff(): void;
  /** Gives the reservation back, unless handed off (safe to call twice). */
  release(): void;
};

@Injectable()
export class BudgetReservations {
  private readonly logger = new Logger(BudgetReservations.name);

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  held(hold: BudgetHold, outputCap?: number): HeldReservation {
    let done = false;
    return {
      hold,
      outputCap,
      handOff: () => {
        done = true;
      },
      release: () => {
        if (done) return;
        done = true;
        void this.release(hold);
      },
    };
  }

  private async release(hold: BudgetHold): Promise<void> {
    const lease = decodeLease(hold.lease);
    if (!lease) return;
    try {
      await settleLease(
        this.redis,
        this.config.REDIS_KEY_PREFIX,
        hold.lease,
        lease,
        lease.counters.map(() => 0),
      );
    } catch (err) {
      // The lease lapses and the reconciler gives it back.
      this.logger.warn(`could not release a budget reservation: ${(err as Error).message}`);
    }
  }
}
