import { Body, Controller, Get, Put } from '@nestjs/common';
import { AdminOnly } from '../auth/access.decorator.js';
import { AuditContext, type RequestContext } from '../audit-trail/request-context.js';
import { ReplacePricesDto } from './dto/replace-prices.dto.js';
import type { PriceTableView } from './price-view.js';
import { PricesService } from './prices.service.js';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PriceTableResponse } from './dto/price-table.response.js';

/** The model price table: shipped defaults, and the operator's overrides laid over them. */
@ApiTags('admin: prices')
@AdminOnly()
@Controller('api/v1/admin/prices')
export class PricesController {
  constructor(private readonly prices: PricesService) {}

  @Get()
  @ApiOkResponse({ type: PriceTableResponse })
  list(): PriceTableView {
    return this.prices.view();
  }

  /** Replaces the whole set of overrides; `{"prices": []}` goes back to the defaults. */
  @Put()
  @ApiOkResponse({ type: PriceTableResponse })
  replace(
    @Body() dto: ReplacePricesDto,
    @AuditContext() ctx: RequestContext,
  ): Promise<PriceTableView> {
    return this.prices.replace(dto.prices, ctx);
  }
}
