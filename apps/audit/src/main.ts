import 'reflect-metadata';
import { loadConfigOrExit } from '@gatehouse/config';
import { startHeartbeat } from '@gatehouse/health';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AuditModule } from './audit.module.js';

async function bootstrap(): Promise<void> {
  const { config } = loadConfigOrExit('audit');
  const app = await NestFactory.createApplicationContext(AuditModule.forRoot(config), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  app.get(Logger).log('audit started');
  startHeartbeat('audit'); // for the container health check (scripts/healthcheck.ts)
}

bootstrap().catch((err: unknown) => {
  // A dependency that stays down through the start-up retries: say so plainly and exit non-zero
  // so the supervisor (compose, systemd) restarts us.
  process.stderr.write(
    `audit failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
