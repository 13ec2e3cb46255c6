import { Module } from '@nestjs/common';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { BudgetsModule } from '../budgets/budgets.module.js';
import { ConsoleSessionsModule } from '../console/console-sessions.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { AdmissionCounters } from './admission-counters.js';
import { AdmissionGuard } from './admission.guard.js';
import { ConcurrencySlots } from './concurrency-slots.js';
import { Admission } from './admission.service.js';

@Module({
  imports: [AuthModule, ThrottleModule, AuditTrailModule, BudgetsModule, ConsoleSessionsModule],
  providers: [Admission, AdmissionCounters, AdmissionGuard, ConcurrencySlots],
  exports: [Admission, AdmissionGuard, ConcurrencySlots],
})
export class AdmissionModule {}
