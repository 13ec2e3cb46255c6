import { MICROS_PER_CENT, budgetUnit } from '@gatehouse/budgets';
import { RateLimited } from '../admission/limit-state.js';
import type { ErrorType } from '../http/error-body.js';
import type { BudgetPlan } from './budget-plan.js';
import { type BudgetState, budgetState } from './budget-state.js';

/** 429 `budget_exceeded`: the request's reservation does not fit in a budget until it resets. */
export class BudgetExceeded extends RateLimited {
  readonly errorType: ErrorType = 'budget_exceeded';
}

/** The refusal for the budget at `index` of a plan, with where every checked budget stands. */
export function budgetRefusal(plan: BudgetPlan, index: number, used: number[]): BudgetExceeded {
  const states: BudgetState[] = [];
  plan.budgets.forEach((b, i) => {
    // The script stops at the refused budget: the ones after it were not read, so not reported.
    if (i <= index) states.push(budgetState(b.name, b.limit, used[i] ?? 0, b.period.endsAt));
  });
  const refused = states[index];
  const budget = plan.budgets[index];
  if (!refused || !budget) throw new Error('a refused budget is one of the plan');
  const amount = plan.amounts[index] ?? 0;
  const unit = budgetUnit(budget.name);
  const needs =
    amount === 0
      ? ''
      : unit === 'cost'
        ? `; this request reserves up to ${(amount / MICROS_PER_CENT).toFixed(2)} cents`
        : unit === 'tokens'
          ? `; this request reserves up to ${amount} tokens (prompt and max_tokens)`
          : '';
  const what = unit === 'cost' ? 'cents' : unit;
  return new BudgetExceeded(
    `Budget ${budget.name} exceeded: ${refused.remaining} of ${refused.limit} ${what} left` +
      `${needs}. It resets in ${refused.resetSeconds} s (UTC periods)`,
    refused.resetSeconds,
    undefined,
    states,
  );
}
