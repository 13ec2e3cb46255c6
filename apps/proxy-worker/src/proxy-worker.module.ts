import { type AppConfig, ConfigModule } from '@gatehouse/config';
import { AsyncJob, DatabaseModule, UpstreamAccount } from '@gatehouse/db';
import { loggerOptions } from '@gatehouse/logging';
import { MetricsModule } from '@gatehouse/metrics';
import {
  AuditProducerModule,
  BroadcastPublisher,
  QueueName,
  QueueRootModule,
  RedisModule,
  RedisRole,
} from '@gatehouse/queue';
import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AccountPool } from './accounts/account-pool.service.js';
import { AccountSelector } from './accounts/account-selector.js';
import { AccountState } from './accounts/account-state.js';
import { WorkerAudit } from './audit-trail/worker-audit.service.js';
import { AccessKeysRelay } from './cf-access/access-keys-relay.service.js';
import { WorkerBroadcasts } from './events/worker-broadcasts.js';
import { AsyncJobSinks } from './jobs/async-job-sinks.js';
import { ProxyRunner } from './proxy/proxy-runner.js';
import { ProxyWorkerService } from './proxy/proxy-worker.service.js';
import { BudgetSettler } from './budgets/budget-settler.js';
import { ReplyStreams } from './replies/reply-streams.js';
import { UpstreamHttp } from './upstream/upstream-http.js';
import { WorkerMetrics } from './metrics/worker-metrics.js';

/** Consumes the proxy queue: picks an account, opens its credential, calls the provider. */
@Module({})
export class ProxyWorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ProxyWorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: loggerOptions('proxy-worker', config) }),
        DatabaseModule,
        TypeOrmModule.forFeature([UpstreamAccount, AsyncJob]),
        RedisModule,
        QueueRootModule.forRoot(config, RedisRole.eventProducer),
        AuditProducerModule,
        MetricsModule.forRoot(config, 'proxy-worker', [QueueName.proxy, QueueName.audit]),
      ],
      providers: [
        WorkerAudit,
        AccessKeysRelay,
        AccountPool,
        AccountState,
        AccountSelector,
        UpstreamHttp,
        ReplyStreams,
        BudgetSettler,
        AsyncJobSinks,
        ProxyRunner,
        ProxyWorkerService,
        WorkerBroadcasts,
        BroadcastPublisher,
        WorkerMetrics,
      ],
    };
  }
}
