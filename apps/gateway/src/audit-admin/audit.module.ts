import { QueueName } from '@gatehouse/queue';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AuditController, RetentionController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { ChainChecks } from './chain-checks.service.js';
import { MaintenanceClient } from './maintenance-client.js';
import { RetentionTrigger } from './retention-trigger.js';

/**
 * Admin views of the audit trail; verification, signed heads and manual retention runs are
 * relayed to the audit app, which does the work.
 */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.auditMaintenance })],
  controllers: [AuditController, RetentionController],
  providers: [AuditService, MaintenanceClient, ChainChecks, RetentionTrigger],
})
export class AuditAdminModule {}
