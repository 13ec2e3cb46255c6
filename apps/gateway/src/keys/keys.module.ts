import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { ApiKeyHasher } from '@gatehouse/crypto';
import { ApiKey, AsyncJob } from '@gatehouse/db';
import { QueueName } from '@gatehouse/queue';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { BudgetsModule } from '../budgets/budgets.module.js';
import { EventsModule } from '../events/events.module.js';
import { KeysController } from './keys.controller.js';
import { MeController } from './me.controller.js';
import { KeysService } from './keys.service.js';
import { RevokedKeyJobs } from './revoked-key-jobs.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([ApiKey, AsyncJob]),
    BullModule.registerQueue({ name: QueueName.proxy }),
    EventsModule,
    AuditTrailModule,
    BudgetsModule,
  ],
  controllers: [KeysController, MeController],
  providers: [
    KeysService,
    RevokedKeyJobs,
    // One hasher under the pepper, for keys issued here and keys presented to AuthService.
    {
      provide: ApiKeyHasher,
      useFactory: (config: AppConfig) => new ApiKeyHasher(config.KEY_PEPPER),
      inject: [APP_CONFIG],
    },
  ],
  exports: [KeysService, ApiKeyHasher],
})
export class KeysModule {}
