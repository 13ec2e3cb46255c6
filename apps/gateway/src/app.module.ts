import { type AppConfig, ConfigModule } from '@gatehouse/config';
import { DatabaseModule } from '@gatehouse/db';
import { QueueName, QueueRootModule, RedisModule, RedisRole } from '@gatehouse/queue';
import { loggerOptions } from '@gatehouse/logging';
import { MetricsModule } from '@gatehouse/metrics';
import { type DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AdmissionGuard } from './admission/admission.guard.js';
import { AdmissionModule } from './admission/admission.module.js';
import { AccountsModule } from './accounts/accounts.module.js';
import { AuditAdminModule } from './audit-admin/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ConsoleModule } from './console/console.module.js';
import { DocsPageModule } from './docs-page/docs-page.module.js';
import { HealthModule } from './health/health.module.js';
import { AllExceptionsFilter } from './http/all-exceptions.filter.js';
import { StorableStringsPipe } from './http/storable-strings.pipe.js';
import { JobsModule } from './jobs/jobs.module.js';
import { KeysModule } from './keys/keys.module.js';
import { GatewayMetricsModule } from './metrics/gateway-metrics.module.js';
import { OpenApiModule } from './openapi/openapi.module.js';
import { PricesModule } from './prices/prices.module.js';
import { ProxyModule } from './proxy/proxy.module.js';
import { QueuesBoardModule } from './queues-board/queues-board.module.js';
import { SpendModule } from './spend/spend.module.js';
import { SystemModule } from './system/system.module.js';
import { ThrottleModule } from './throttle/throttle.module.js';
import { UsageModule } from './usage/usage.module.js';

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        // App logs only: the one line per request is the edge's (see access-log.ts).
        LoggerModule.forRoot({ pinoHttp: loggerOptions('gateway', config), forRoutes: [] }),
        DatabaseModule,
        RedisModule,
        // Producers only: they fail fast while Redis is down (ProxyQueue answers 503).
        QueueRootModule.forRoot(config, RedisRole.queueProducer),
        MetricsModule.forRoot(config, 'gateway', [
          QueueName.proxy,
          QueueName.audit,
          QueueName.auditMaintenance,
        ]),
        GatewayMetricsModule,
        ThrottleModule,
        AuthModule,
        AdmissionModule,
        KeysModule,
        AccountsModule,
        PricesModule,
        ProxyModule,
        JobsModule,
        HealthModule,
        QueuesBoardModule,
        AuditAdminModule,
        UsageModule,
        SpendModule,
        SystemModule,
        OpenApiModule,
        DocsPageModule,
        // The console's page and session; without it, admin routes take only the admin key.
        ...(config.CONSOLE_ENABLED ? [ConsoleModule] : []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        // In order: strings Postgres can store, then the DTOs' own rules.
        { provide: APP_PIPE, useClass: StorableStringsPipe },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
            stopAtFirstError: false,
          }),
        },
        // The one front door: every route is admitted (or refused) by it, see Admission.
        { provide: APP_GUARD, useExisting: AdmissionGuard },
      ],
    };
  }
}
