import 'reflect-metadata';
import { loadConfigOrExit } from '@gatehouse/config';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AuditModule } from './audit.module.js';

async function bootstrap(): Promise<void> {
  const { config } = loadConfigOrExit('audit');
  const app = await NestFactory.createApplicationContext(AuditModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  app.get(Logger).log('audit started');
}

void bootstrap();
