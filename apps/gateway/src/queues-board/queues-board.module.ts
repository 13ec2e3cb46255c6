import { QueueName } from '@gatehouse/queue';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module.js';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { QueuesBoard } from './queues-board.js';
import { QueuesBoardAuth } from './queues-board-auth.js';

/** Bull Board at /admin/queues, behind the admin key (and the same brute-force lockout). */
@Module({
  imports: [
    BullModule.registerQueue(
      { name: QueueName.proxy },
      { name: QueueName.audit },
      { name: QueueName.auditMaintenance },
    ),
    AdmissionModule,
    AuditTrailModule,
  ],
  providers: [QueuesBoardAuth, QueuesBoard],
  exports: [QueuesBoard],
})
export class QueuesBoardModule {}
