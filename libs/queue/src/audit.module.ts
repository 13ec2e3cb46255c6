import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AuditProducer } from './audit-producer.js';
import { QueueName } from './names.js';

/** Gives an app (that has BullModule.forRoot) the audit producer. */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.audit })],
  providers: [AuditProducer],
  exports: [AuditProducer],
})
export class AuditProducerModule {}
