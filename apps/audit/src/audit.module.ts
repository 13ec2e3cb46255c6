import { type AppConfig, ConfigModule } from '@gatehouse/config';
import { DatabaseModule } from '@gatehouse/db';
import { loggerOptions } from '@gatehouse/logging';
import { MetricsModule } from '@gatehouse/metrics';
import { QueueName } from '@gatehouse/queue';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AuditChainWriter } from './chain/audit-chain-writer.js';
import { CHAIN_KEYS_PROVIDER } from './chain/chain-keys.provider.js';
import { CLOCK, systemClock } from './clock.js';
import { AuditEventPreparer } from './ingest/audit-event-preparer.js';
import { AuditIngestService } from './ingest/audit-ingest.service.js';
import { AuditRedaction } from './ingest/audit-redaction.js';
import { MaintenanceWorker } from './maintenance/maintenance.worker.js';
import { AuditMetrics } from './metrics/audit-metrics.js';
import { RetentionService } from './retention/retention.service.js';
import { ChainVerifier } from './verify/chain-verifier.js';

/**
 * Consumes the audit queue (validation, redaction, HMAC chain, usage rollups), runs retention,
 * and answers the chain checks the admin API relays (verify, signed head).
 */
@Module({})
export class AuditModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AuditModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: loggerOptions('audit', config) }),
        DatabaseModule,
        MetricsModule.forRoot(config, 'audit', [QueueName.audit, QueueName.auditMaintenance]),
      ],
      providers: [
        CHAIN_KEYS_PROVIDER,
        { provide: CLOCK, useValue: systemClock },
        AuditRedaction,
        AuditEventPreparer,
        AuditChainWriter,
        AuditIngestService,
        RetentionService,
        ChainVerifier,
        MaintenanceWorker,
        AuditMetrics,
      ],
    };
  }
}
