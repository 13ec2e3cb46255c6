import { type BudgetName, MICROS_PER_CENT, budgetUnit } from '@gatehouse/budgets';

/** Where one budget stands after a request: what X-Budget-* and /api/v1/me report. */
export type BudgetState = {
  name: BudgetName;
  /** Tokens, requests, or US cents. */
  limit: number;
  used: number;
  remaining: number;
  resetSeconds: number;
};

/** A budget's state from its counter (cost counters are µUSD; limits and reports are cents). */
export function budgetState(
  name: BudgetName,
  limit: number,
  counter: number,
  endsAt: number,
  now = Date.now(),
): BudgetState {
  const used = budgetUnit(name) === 'cost' ? Math.ceil(counter / MICROS_PER_CENT) : counter;
  return {
    name,
    limit,
    used: Math.max(0, used),
    remaining: Math.max(0, limit - Math.max(0, used)),
    resetSeconds: Math.max(1, Math.ceil((endsAt - now) / 1000)),
  };
}

const HEADER_LABEL: Record<BudgetName, string> = {
  tokens_per_minute: 'Tokens-Minute',
  tokens_per_day: 'Tokens-Day',
  requests_per_day: 'Requests-Day',
  cost_per_day: 'Cost-Day',
  cost_per_month: 'Cost-Month',
};

/** Each budget's three header names, spelled once rather than on every response. */
const HEADER_NAMES = Object.fromEntries(
  Object.entries(HEADER_LABEL).map(([name, label]) => [
    name,
    [`X-Budget-${label}-Limit`, `X-Budget-${label}-Remaining`, `X-Budget-${label}-Reset`],
  ]),
) as Record<BudgetName, [string, string, string]>;

/** `X-Budget-<Label>-Limit`, `-Remaining` and `-Reset` (seconds) for each budget a key has. */
export function budgetHeaders(states: readonly BudgetState[]): [string, string][] {
  const headers: [string, string][] = [];
  for (const s of states) {
    const [limit, remaining, reset] = HEADER_NAMES[s.name];
    headers.push([limit, String(s.limit)]);
    headers.push([remaining, String(s.remaining)]);
    headers.push([reset, String(s.resetSeconds)]);
  }
  return headers;
}
