import 'reflect-metadata';
import { loadConfigOrExit } from '@gatehouse/config';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ProxyWorkerModule } from './proxy-worker.module.js';

async function bootstrap(): Promise<void> {
  const { config } = loadConfigOrExit('proxy-worker');
  const app = await NestFactory.createApplicationContext(ProxyWorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  app.get(Logger).log('proxy-worker started');
}

void bootstrap();
