import { limitsKey } from '@gatehouse/queue';

/** The budgets a key can have, named as the key's fields are. */
export const BUDGET_NAMES = [
  'tokens_per_minute',
  'tokens_per_day',
  'requests_per_day',
  'cost_per_day',
  'cost_per_month',
] as const;
export type BudgetName = (typeof BUDGET_NAMES)[number];

/** A key's budget limits: tokens, requests, or US cents for cost; null where it has none. */
export type BudgetLimits = Readonly<Record<BudgetName, number | null>>;

/** What a budget counts: tokens (input + output), requests, or cost in µUSD. */
export type BudgetUnit = 'tokens' | 'requests' | 'cost';

type Period = 'minute' | 'day' | 'month';

const BUDGETS: Record<BudgetName, { unit: BudgetUnit; period: Period }> = {
  tokens_per_minute: { unit: 'tokens', period: 'minute' },
  tokens_per_day: { unit: 'tokens', period: 'day' },
  requests_per_day: { unit: 'requests', period: 'day' },
  cost_per_day: { unit: 'cost', period: 'day' },
  cost_per_month: { unit: 'cost', period: 'month' },
};

export function budgetUnit(name: BudgetName): BudgetUnit {
  return BUDGETS[name].unit;
}

/** One UTC period of a budget: when it ends, and how long its counter is kept. */
export type BudgetPeriod = { name: BudgetName; id: string; endsAt: number; keepMs: number };

/** The UTC period of `name` that `now` falls in (budgets reset on UTC boundaries). */
export function budgetPeriod(name: BudgetName, now = new Date()): BudgetPeriod {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  const iso = now.toISOString();
  switch (BUDGETS[name].period) {
    case 'minute': {
      const endsAt = Date.UTC(y, m, d, now.getUTCHours(), now.getUTCMinutes() + 1);
      // Kept past its end for reservations settled after the minute turned.
      return { name, id: iso.slice(0, 16), endsAt, keepMs: 10 * 60_000 };
    }
    case 'day':
      // Kept a day past its end: a request admitted at 23:59 settles against that day.
      return { name, id: iso.slice(0, 10), endsAt: Date.UTC(y, m, d + 1), keepMs: 2 * DAY_MS };
    case 'month':
      return { name, id: iso.slice(0, 7), endsAt: Date.UTC(y, m + 1, 1), keepMs: 33 * DAY_MS };
  }
}

const DAY_MS = 24 * 3_600_000;

/**
 * The Redis counter of a key's budget in one period: what was used plus what is reserved. In the
 * admission slot (`{limits}`), so the admission script checks and reserves in one call.
 * tokens_per_day keeps the name its counter had before budgets were reserved.
 */
export function budgetCounterKey(prefix: string, keyId: string, period: BudgetPeriod): string {
  if (period.name === 'tokens_per_day') {
    return limitsKey(prefix, `usage:tokens:${keyId}:${period.id}`);
  }
  return limitsKey(prefix, `budget:${period.name}:${keyId}:${period.id}`);
}

/** Every open reservation, scored by when it lapses (see reservations.ts). */
export function reservationLeasesKey(prefix: string): string {
  return limitsKey(prefix, 'budget:leases');
}
