import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { AdminOnly } from '../auth/access.decorator.js';
import { AuditContext, type RequestContext } from '../audit-trail/request-context.js';
import { BudgetReset, type BudgetResetResult } from './budget-reset.service.js';
import { ResetBudgetsDto } from './dto/reset-budgets.dto.js';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { BudgetResetResponse } from './dto/budget-reset.response.js';

/** Admin control of what a key may still spend. Raising a budget is a key PATCH. */
@ApiTags('admin: keys')
@AdminOnly()
@Controller('api/v1/admin/keys')
export class BudgetResetController {
  constructor(private readonly budgets: BudgetReset) {}

  /** Resets the key's counters of the current periods: all budgets, or those named. */
  @Post(':id/budgets/reset')
  @HttpCode(200)
  @ApiOkResponse({ type: BudgetResetResponse })
  @ApiErrors([404, 'No such key, or it is revoked'])
  reset(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: ResetBudgetsDto,
    @AuditContext() ctx: RequestContext,
  ): Promise<BudgetResetResult> {
    return this.budgets.reset(id, ctx, dto.budgets);
  }
}
