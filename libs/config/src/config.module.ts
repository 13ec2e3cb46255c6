import { type DynamicModule, Global, Inject, Module } from '@nestjs/common';
import type { AppConfig } from './config.schema.js';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Injects the configuration validated once in main.ts. */
export const InjectConfig = (): ParameterDecorator => Inject(APP_CONFIG);

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: Object.freeze({ ...config }) }],
      exports: [APP_CONFIG],
    };
  }
}
