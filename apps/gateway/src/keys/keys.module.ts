import { ApiKey } from '@gatehouse/db';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { EventsModule } from '../events/events.module.js';
import { KeysController } from './keys.controller.js';
import { MeController } from './me.controller.js';
import { KeysService } from './keys.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKey]), EventsModule, AuditTrailModule],
  controllers: [KeysController, MeController],
  providers: [KeysService],
  exports: [KeysService],
})
export class KeysModule {}
