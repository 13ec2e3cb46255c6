import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { type ExecutionContext, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Request } from 'express';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { rateLimitSubject } from '../http/client-ip.js';
import { AuthFailureLockout } from './auth-failure-lockout.js';
import { GatewayThrottlerGuard } from './gateway-throttler.guard.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

const MINUTE_MS = 60_000;

const requestOf = (context: ExecutionContext) => context.switchToHttp().getRequest<Request>();
const clientKeyOf = (context: ExecutionContext) => {
  const principal = requestOf(context).principal;
  return principal?.kind === 'client' ? principal.key : undefined;
};

@Module({
  providers: [RedisThrottlerStorage],
  exports: [RedisThrottlerStorage],
})
class RateLimitStoreModule {}

@Module({
  imports: [
    RateLimitStoreModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStoreModule],
      inject: [APP_CONFIG, RedisThrottlerStorage],
      useFactory: (config: AppConfig, storage: RedisThrottlerStorage) => ({
        storage,
        // One bucket per throttler and subject across all routes (not per route).
        generateKey: (_context: ExecutionContext, tracker: string, name: string) =>
          `${name}:${tracker}`,
        throttlers: [
          {
            name: 'ip',
            ttl: MINUTE_MS,
            limit: config.RATE_LIMIT_IP_PER_MIN,
            blockDuration: 0,
            getTracker: (req: Record<string, unknown>) => rateLimitSubject(String(req.clientIp)),
          },
          {
            name: 'key',
            ttl: MINUTE_MS,
            limit: (context: ExecutionContext) =>
              clientKeyOf(context)?.requestsPerMinute ?? config.RATE_LIMIT_KEY_PER_MIN,
            blockDuration: 0,
            skipIf: (context: ExecutionContext) => !clientKeyOf(context),
            getTracker: (_req: Record<string, unknown>, context: ExecutionContext) =>
              clientKeyOf(context)?.id ?? 'none',
          },
        ],
      }),
    }),
    AuditTrailModule,
  ],
  providers: [GatewayThrottlerGuard, AuthFailureLockout],
  exports: [RateLimitStoreModule, GatewayThrottlerGuard, AuthFailureLockout],
})
export class ThrottleModule {}
