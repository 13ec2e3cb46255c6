import { QueueName } from '@gatehouse/queue';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { DiskUsageService } from './disk-usage.service.js';
import { RedisPolicyCheck } from './redis-policy-check.js';
import { SystemController } from './system.controller.js';
import { SystemHealthService } from './system-health.service.js';

@Module({
  // One registration per queue, identical to the other modules' (Nest shares those instances).
  imports: [
    BullModule.registerQueue({ name: QueueName.proxy }),
    BullModule.registerQueue({ name: QueueName.audit }),
    BullModule.registerQueue({ name: QueueName.auditMaintenance }),
  ],
  controllers: [SystemController],
  providers: [SystemHealthService, DiskUsageService, RedisPolicyCheck],
})
export class SystemModule {}
