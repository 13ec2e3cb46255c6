/**
 * Process entry (built to dist/test/support): the audit app as main.ts starts it, but with its
 * CLOCK provider replaced by one the spawning test sets over the IPC channel, so a suite can run
 * retention at a chosen date against the real process. Started by `spawnAuditWithClock`.
 */
import 'reflect-metadata';
import { loadConfigOrExit } from '@gatehouse/config';
import { Test } from '@nestjs/testing';
import { Logger } from 'nestjs-pino';
import { AuditModule } from '../../apps/audit/src/audit.module.js';
import { CLOCK, type Clock } from '../../apps/audit/src/clock.js';
import type { ClockSet, SetClock } from './audit-kit.js';

let fixed: Date | undefined;
const clock: Clock = { now: () => fixed ?? new Date() };

process.on('message', (message: SetClock) => {
  fixed = new Date(message.now);
  const ack: ClockSet = { clockSet: message.now };
  process.send?.(ack);
});

try {
  const { config } = loadConfigOrExit('audit');
  const app = await Test.createTestingModule({ imports: [AuditModule.forRoot(config)] })
    .overrideProvider(CLOCK)
    .useValue(clock)
    .compile();
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  app.get(Logger).log('audit started');
} catch (err) {
  process.stderr.write(
    `audit failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}
