import { Controller, Get, Query } from '@nestjs/common';
import { AdminOnly } from '../auth/access.decorator.js';
import { UsageQuery } from './dto/usage.query.js';
import { UsageService } from './usage.service.js';
import type { UsageReport } from './usage-view.js';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { UsageReportResponse } from './dto/usage-report.response.js';

/** Requests, errors, tokens and cost per key, model and UTC day, from rollups. */
@ApiTags('admin: usage')
@AdminOnly()
@Controller('api/v1/admin/usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @ApiOkResponse({ type: UsageReportResponse })
  report(@Query() query: UsageQuery): Promise<UsageReport> {
    return this.usage.report(query);
  }
}
