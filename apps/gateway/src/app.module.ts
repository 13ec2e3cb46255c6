import { type AppConfig, ConfigModule } from '@gatehouse/config';
import { DatabaseModule } from '@gatehouse/db';
import { bullPrefix, RedisModule, redisOptionsFromUrl } from '@gatehouse/queue';
import { BullModule } from '@nestjs/bullmq';
import { loggerOptions } from '@gatehouse/logging';
import {
  type DynamicModule,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  ValidationPipe,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import type { Request } from 'express';
import { LoggerModule } from 'nestjs-pino';
import { AccountsModule } from './accounts/accounts.module.js';
import { AuditAdminModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { GatewayAuthGuard } from './auth/gateway-auth.guard.js';
import { HealthModule } from './health/health.module.js';
import { AllExceptionsFilter } from './http/all-exceptions.filter.js';
import { JsonBodyMiddleware } from './http/json-body.middleware.js';
import { JobsModule } from './jobs/jobs.module.js';
import { KeysModule } from './keys/keys.module.js';
import { ProxyModule } from './proxy/proxy.module.js';
import { QueuesBoardModule } from './queues-board/queues-board.module.js';
import { SystemModule } from './system/system.module.js';
import { GatewayThrottlerGuard } from './throttle/gateway-throttler.guard.js';
import { ThrottleModule } from './throttle/throttle.module.js';
import { UsageModule } from './usage/usage.module.js';

function requestFacts(req: Request) {
  const principal = req.principal;
  return {
    client_ip: req.clientIp,
    key_id: principal?.kind === 'client' ? principal.key.id : undefined,
    admin: principal?.kind === 'admin' || undefined,
  };
}

@Module({})
export class GatewayModule implements NestModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            ...loggerOptions('gateway', config),
            genReqId: (req) => (req as Request).id,
            // Added when the response is done, once auth has told who the caller was.
            customSuccessObject: (req, _res, val: object) => ({
              ...val,
              ...requestFacts(req as Request),
            }),
            customErrorObject: (req, _res, _err, val: object) => ({
              ...val,
              ...requestFacts(req as Request),
            }),
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                // The path only: query strings are where careless clients put credentials.
                path: req.url.split('?')[0],
              }),
              res: (res: { raw?: { statusCode: number }; statusCode: number }) => ({
                status: (res.raw ?? res).statusCode,
              }),
            },
          },
        }),
        DatabaseModule,
        RedisModule,
        BullModule.forRoot({
          connection: {
            ...redisOptionsFromUrl(config.REDIS_URL),
            // Producers fail fast while Redis is down; ProxyQueue turns that into a 503.
            enableOfflineQueue: false,
            maxRetriesPerRequest: 1,
          },
          prefix: bullPrefix(config.REDIS_KEY_PREFIX),
        }),
        ThrottleModule,
        AuthModule,
        KeysModule,
        AccountsModule,
        ProxyModule,
        JobsModule,
        HealthModule,
        QueuesBoardModule,
        AuditAdminModule,
        UsageModule,
        SystemModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
            stopAtFirstError: false,
          }),
        },
        // Order matters: limit by IP, authenticate, then limit by key (see the guard).
        { provide: APP_GUARD, useExisting: GatewayThrottlerGuard },
        { provide: APP_GUARD, useExisting: GatewayAuthGuard },
        { provide: APP_GUARD, useExisting: GatewayThrottlerGuard },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes('{*path}');
  }
}
