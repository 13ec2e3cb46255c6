import { type AppConfig, ConfigModule } from '@gatehouse/config';
import { DatabaseModule } from '@gatehouse/db';
import { loggerOptions } from '@gatehouse/logging';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';

/** Consumes the audit queue (redaction, hash chain, retention) once that issue lands; for now it boots, migrates and stays up. */
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
    };
  }
}
