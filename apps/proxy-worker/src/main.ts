import 'reflect-metadata';
import { loadConfigOrExit } from '@gatehouse/config';
import { startHeartbeat } from '@gatehouse/health';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ProxyWorkerModule } from './proxy-worker.module.js';

async function bootstrap(): Promise<void> {
  const { config } = loadConfigOrExit('proxy-worker');
  const app = await NestFactory.createApplicationContext(ProxyWorkerModule.forRoot(config), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  app.get(Logger).log('proxy-worker started');
  startHeartbeat('proxy-worker'); // for the container health check (scripts/healthcheck.ts)
}

bootstrap().catch((err: unknown) => {
  // A dependency that stays down through the start-up retries: say so plainly and exit non-zero
  // so the supervisor (compose, systemd) restarts us.
  process.stderr.write(
    `proxy-worker failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
