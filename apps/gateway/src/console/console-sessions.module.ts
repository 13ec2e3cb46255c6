import { Module } from '@nestjs/common';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { ConsoleSessionGate } from './console-session-gate.js';
import { ConsoleSessions } from './console-sessions.service.js';

/** The session store and the gate admission consults on admin routes. */
@Module({
  imports: [AuditTrailModule],
  providers: [ConsoleSessions, ConsoleSessionGate],
  exports: [ConsoleSessions, ConsoleSessionGate],
})
export class ConsoleSessionsModule {}
