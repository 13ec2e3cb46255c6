import { QueueName } from '@gatehouse/queue';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AuditController, RetentionController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { RetentionService } from './retention.service.js';

/** Admin views of the audit trail, and manual retention runs (the audit app does the work). */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.auditMaintenance })],
  controllers: [AuditController, RetentionController],
  providers: [AuditService, RetentionService],
})
export class AuditAdminModule {}
