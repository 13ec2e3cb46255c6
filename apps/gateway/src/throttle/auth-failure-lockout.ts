import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { Inject, Injectable } from '@nestjs/common';
import { RateLimited, waitSeconds } from '../admission/limit-state.js';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import type { RequestContext } from '../audit-trail/request-context.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

/**
 * Brute-force protection: after AUTH_FAILURE_LIMIT failed authentications from one IP within
 * AUTH_FAILURE_WINDOW_SECONDS, that IP gets 429 on every authenticated route for
 * AUTH_LOCKOUT_SECONDS, whatever key it presents. Counted in Redis, so shared by all replicas;
 * admission reads the lock in its own script (bucket `auth-failure:<subject>`).
 */
@Injectable()
export class AuthFailureLockout {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly storage: RedisThrottlerStorage,
    private readonly audit: GatewayAudit,
  ) {}

  /** Counts a failed authentication (`ctx`'s); throws once the address is locked out by it. */
  async recordFailure(subject: string, ctx: RequestContext): Promise<void> {
    const record = await this.storage.increment(
      `auth-failure:${subject}`,
      this.config.AUTH_FAILURE_WINDOW_SECONDS * 1000,
      this.config.AUTH_FAILURE_LIMIT,
      this.config.AUTH_LOCKOUT_SECONDS * 1000,
      'auth-failure',
    );
    if (record.isBlocked) {
      this.audit.record(ctx, 'ratelimit.hit', {
        throttler: 'auth-failure',
        limit: this.config.AUTH_FAILURE_LIMIT,
      });
      throw this.locked(record.timeToBlockExpire * 1000);
    }
  }

  /** The refusal of a locked-out address. */
  locked(remainingMs: number): RateLimited {
    const seconds = waitSeconds(remainingMs);
    return new RateLimited(
      'Too many failed authentication attempts from this address; try again later',
      seconds,
      { limit: this.config.AUTH_FAILURE_LIMIT, remaining: 0, resetSeconds: seconds },
    );
  }
}
