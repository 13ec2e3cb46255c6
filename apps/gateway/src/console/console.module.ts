import { Module } from '@nestjs/common';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { ConsolePageController } from './console-page.controller.js';
import { ConsoleSessionController } from './console-session.controller.js';
import { ConsoleSessionsModule } from './console-sessions.module.js';

/** The operator console: its page and its session endpoints. */
@Module({
  imports: [ConsoleSessionsModule, AuditTrailModule],
  controllers: [ConsolePageController, ConsoleSessionController],
})
export class ConsoleModule {}
