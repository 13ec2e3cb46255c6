import { QueueName } from '@gatehouse/queue';
import { UpstreamAccount } from '@gatehouse/db';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdmissionModule } from '../admission/admission.module.js';
import { BudgetsModule } from '../budgets/budgets.module.js';
import { EventsModule } from '../events/events.module.js';
import { PiiModule } from '../pii/pii.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { InFlightRequests } from './in-flight-requests.js';
import { ModelsController } from './models.controller.js';
import { ProxyQueue } from './proxy-queue.service.js';
import { ProxyRequestPolicy } from './proxy-request-policy.js';
import { ProxyRoutes } from './proxy-routes.js';
import { ReplyHub } from './reply-hub.service.js';
import { SyncProxy } from './sync-proxy.service.js';

@Module({
  imports: [
    BullModule.registerQueue({ name: QueueName.proxy }),
    TypeOrmModule.forFeature([UpstreamAccount]),
    AdmissionModule,
    BudgetsModule,
    PiiModule,
    EventsModule,
    KeysModule,
  ],
  // The proxy endpoints themselves are Fastify routes (ProxyRoutes, mounted by configure-app.ts).
  controllers: [ModelsController],
  providers: [ReplyHub, ProxyRequestPolicy, ProxyQueue, SyncProxy, InFlightRequests, ProxyRoutes],
  exports: [ProxyRequestPolicy, ProxyQueue, InFlightRequests, ProxyRoutes],
})
export class ProxyModule {}
