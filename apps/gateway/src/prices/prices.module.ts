import { DatabaseModule, ModelPriceOverride } from '@gatehouse/db';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { EventsModule } from '../events/events.module.js';
import { PriceBook } from './price-book.service.js';
import { PricesController } from './prices.controller.js';
import { PricesService } from './prices.service.js';

@Module({
  imports: [
    // Imported here too (the app module has it already) so that it sits deeper than this module
    // and its start-up hook, which migrates, runs before PriceBook's first load.
    DatabaseModule,
    TypeOrmModule.forFeature([ModelPriceOverride]),
    EventsModule,
    AuditTrailModule,
  ],
  controllers: [PricesController],
  providers: [PriceBook, PricesService],
  exports: [PriceBook],
})
export class PricesModule {}
