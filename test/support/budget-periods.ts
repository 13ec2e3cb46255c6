import { type BudgetName, budgetCounterKey, budgetPeriod } from '@gatehouse/budgets';

/**
 * Budgets reset on UTC boundaries: a test that spends (or sets a counter) and then reads it must
 * not straddle one, or it reads the next period's empty counter. Waits out the end of the
 * current period of `name` when less than `marginMs` of it is left. A minute's end is also
 * every day's and month's at midnight.
 */
export async function awayFromPeriodEnd(name: BudgetName, marginMs: number): Promise<void> {
  const left = budgetPeriod(name).endsAt - Date.now();
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** The Redis key of `keyId`'s counter for `name` in the period holding `at` (now by default). */
export function budgetCounter(
  redisPrefix: string,
  keyId: string,
  name: BudgetName,
  at = new Date(),
): string {
  return budgetCounterKey(redisPrefix, keyId, budgetPeriod(name, at));
}
