import { ApiPropertyOptional } from '@nestjs/swagger';
import { BUDGET_NAMES, type BudgetName } from '@gatehouse/budgets';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, ValidateIf } from 'class-validator';

/** `POST /api/v1/admin/keys/:id/budgets/reset`: which budgets; all of them when left out. */
export class ResetBudgetsDto {
  // Left out means all; `null` or `[]` is more likely a mistake than a wish, so both are refused.
  @ApiPropertyOptional({ enum: BUDGET_NAMES, isArray: true, description: 'Left out: all five' })
  @ValidateIf((_o, v) => v !== undefined)
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(BUDGET_NAMES.length)
  @IsIn(BUDGET_NAMES, {
    each: true,
    message: `each value in budgets must be one of: ${BUDGET_NAMES.join(', ')}`,
  })
  budgets?: BudgetName[];
}
