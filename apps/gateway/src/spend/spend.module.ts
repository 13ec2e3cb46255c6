import { Module } from '@nestjs/common';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { BudgetResetController } from './budget-reset.controller.js';
import { BudgetReset } from './budget-reset.service.js';

/** Spend controls an admin exercises on keys. */
@Module({
  imports: [KeysModule, AuditTrailModule],
  controllers: [BudgetResetController],
  providers: [BudgetReset],
})
export class SpendModule {}
