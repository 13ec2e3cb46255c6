import { type AppConfig, ConfigModule } from '@gatehouse/config';
import { DatabaseModule } from '@gatehouse/db';
import { loggerOptions } from '@gatehouse/logging';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AuditChainWriter } from './chain/audit-chain-writer.js';
import { AuditEventPreparer } from './ingest/audit-event-preparer.js';
import { AuditIngestService } from './ingest/audit-ingest.service.js';
import { AuditRedaction } from './ingest/audit-redaction.js';
import { RetentionService } from './retention/retention.service.js';

/** Consumes the audit queue (validation, redaction, hash chain, usage rollups) and runs retention. */
@Module({})
export class AuditModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AuditModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: loggerOptions('audit', config) }),
        DatabaseModule,
      ],
      providers: [
        AuditRedaction,
        AuditEventPreparer,
        AuditChainWriter,
        AuditIngestService,
        RetentionService,
      ],
    };
  }
}
