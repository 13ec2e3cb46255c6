import { AsyncJob } from '@gatehouse/db';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdmissionModule } from '../admission/admission.module.js';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { BudgetsModule } from '../budgets/budgets.module.js';
import { PiiModule } from '../pii/pii.module.js';
import { ProxyModule } from '../proxy/proxy.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([AsyncJob]),
    ProxyModule,
    ThrottleModule,
    AuditTrailModule,
    AdmissionModule,
    BudgetsModule,
    PiiModule,
  ],
  controllers: [JobsController],
  providers: [JobsService],
})
export class JobsModule {}
