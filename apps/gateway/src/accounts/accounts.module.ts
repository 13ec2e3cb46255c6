import { UpstreamAccount } from '@gatehouse/db';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { EventsModule } from '../events/events.module.js';
import { AccountsController } from './accounts.controller.js';
import { AccountsService } from './accounts.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([UpstreamAccount]), EventsModule, AuditTrailModule],
  controllers: [AccountsController],
  providers: [AccountsService],
})
export class AccountsModule {}
