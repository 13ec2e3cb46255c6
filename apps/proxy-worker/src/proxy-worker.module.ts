import { type AppConfig, ConfigModule } from '@gatehouse/config';
import { DatabaseModule } from '@gatehouse/db';
import { loggerOptions } from '@gatehouse/logging';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';

/** Consumes the proxy queue and calls upstream providers once that issue lands; for now it boots, migrates and stays up. */
@Module({})
export class ProxyWorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ProxyWorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: loggerOptions('proxy-worker', config) }),
        DatabaseModule,
      ],
    };
  }
}
