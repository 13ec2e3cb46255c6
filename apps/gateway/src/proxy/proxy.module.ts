import { QueueName } from '@gatehouse/queue';
import { UpstreamAccount } from '@gatehouse/db';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdmissionModule } from '../admission/admission.module.js';
import { EventsModule } from '../events/events.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { InFlightRequests } from './in-flight-requests.js';
import { ModelsController } from './models.controller.js';
import { ProxyController } from './proxy.controller.js';
import { ProxyQueue } from './proxy-queue.service.js';
import { ProxyRequestPolicy } from './proxy-request-policy.js';
import { ReplyHub } from './reply-hub.service.js';
import { SyncProxy } from './sync-proxy.service.js';

@Module({
  imports: [
    BullModule.registerQueue({ name: QueueName.proxy }),
    TypeOrmModule.forFeature([UpstreamAccount]),
    AdmissionModule,
    EventsModule,
    KeysModule,
  ],
  controllers: [ProxyController, ModelsController],
  providers: [ReplyHub, ProxyRequestPolicy, ProxyQueue, SyncProxy, InFlightRequests],
  exports: [ProxyRequestPolicy, ProxyQueue, InFlightRequests],
})
export class ProxyModule {}
