import { AsyncJob } from '@gatehouse/db';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { ProxyModule } from '../proxy/proxy.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([AsyncJob]), ProxyModule, ThrottleModule, AuditTrailModule],
  controllers: [JobsController],
  providers: [JobsService],
})
export class JobsModule {}
