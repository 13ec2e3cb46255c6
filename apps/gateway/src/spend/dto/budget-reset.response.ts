import { BUDGET_NAMES, type BudgetName } from '@gatehouse/budgets';
import { ApiProperty } from '@nestjs/swagger';
import type { BudgetResetResult } from '../budget-reset.service.js';

export class BudgetResetResponse implements BudgetResetResult {
  @ApiProperty({ format: 'uuid' })
  key_id!: string;

  @ApiProperty({ enum: BUDGET_NAMES, isArray: true, description: 'The budgets started over' })
  reset!: BudgetName[];
}
