import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { AuthFailureLockout } from './auth-failure-lockout.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

const MINUTE_MS = 60_000;

@Module({
  providers: [RedisThrottlerStorage],
  exports: [RedisThrottlerStorage],
})
class RateLimitStoreModule {}

/**
 * The limits, declared as @nestjs/throttler throttlers (routes opt out with @SkipThrottle) over
 * its Redis storage. Admission enforces them: `ip` per client address, `key` per client key
 * (unless the key sets its own requests/minute).
 */
@Module({
  imports: [
    RateLimitStoreModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStoreModule],
      inject: [APP_CONFIG, RedisThrottlerStorage],
      useFactory: (config: AppConfig, storage: RedisThrottlerStorage) => ({
        storage,
        throttlers: [
          { name: 'ip', ttl: MINUTE_MS, limit: config.RATE_LIMIT_IP_PER_MIN, blockDuration: 0 },
          { name: 'key', ttl: MINUTE_MS, limit: config.RATE_LIMIT_KEY_PER_MIN, blockDuration: 0 },
        ],
      }),
    }),
    AuditTrailModule,
  ],
  providers: [AuthFailureLockout],
  exports: [RateLimitStoreModule, ThrottlerModule, AuthFailureLockout],
})
export class ThrottleModule {}
