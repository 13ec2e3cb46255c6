import {
  BUDGET_NAMES,
  type BudgetLimits,
  decodeLease,
  estimatePromptTokens,
} from '@gatehouse/budgets';
import type { AppConfig } from '@gatehouse/config';
import { randomUUID } from 'node:crypto';
import type { ClientKey } from '../auth/principal.js';
import type { PriceBook } from '../prices/price-book.service.js';
import { BudgetPlanner, type Spending } from './budget-plan.js';

const PREFIX = 'ghtest';
const config = { REDIS_KEY_PREFIX: PREFIX, BUDGET_DEFAULT_MAX_TOKENS: 1_000 } as AppConfig;
const prices = { priceOf: () => ({ input: 2, output: 8 }) } as unknown as PriceBook;

function keyWith(budgets: Partial<BudgetLimits>): ClientKey {
  return {
    id: randomUUID(),
    budgets: {
      ...(Object.fromEntries(BUDGET_NAMES.map((n) => [n, null])) as BudgetLimits),
      ...budgets,
    },
  } as ClientKey;
}

function spending(content = 'hi'): Spending {
  return {
    endpoint: 'chat.completions',
    body: { model: 'gpt-4o', messages: [{ role: 'user', content }] },
    requestId: randomUUID(),
    leaseEndsAt: 0,
  };
}

/** 08:24:30 UTC: the minute ends in 30 s, the day in a little under 16 h. */
const NOW = Date.UTC(2026, 11, 5, 8, 24, 30);

describe('BudgetPlanner', () => {
  const planner = new BudgetPlanner(config, prices);

  it('plans nothing for a key without budgets', () => {
    expect(planner.plan(keyWith({}), spending(), NOW)).toBeUndefined();
    expect(planner.plan(keyWith({}), undefined, NOW)).toBeUndefined();
  });

  it("reserves each budget's amount and writes a lease the worker can settle", () => {
    const key = keyWith({ tokens_per_minute: 10_000, requests_per_day: 5, cost_per_day: 100 });
    const plan = planner.plan(key, spending(), NOW);
    if (!plan?.hold || !plan.check.reservation) throw new Error('a spending request reserves');
    const tokens = plan.hold.promptTokens + 1_000; // the prompt and the default output cap
    const cost = Math.ceil(plan.hold.promptTokens * 2 + 1_000 * 8);
    expect(plan.amounts).toEqual([tokens, 1, cost]);
    expect(plan.check.amounts).toEqual([tokens, 1, cost]);
    expect(plan.outputCap).toBe(1_000);
    expect(plan.check.counters.map((c) => c.limit)).toEqual([10_000, 5, 100 * 10_000]);
    expect(plan.check.counters[0]?.key).toContain(`tokens_per_minute:${key.id}:2026-12-05T08:24`);
    expect(plan.check.counters[1]?.key).toContain(`requests_per_day:${key.id}:2026-12-05`);
    const lease = decodeLease(plan.hold.lease);
    expect(lease?.counters).toEqual(
      plan.check.counters.map((c, i) => ({
        key: c.key,
        unit: ['tokens', 'requests', 'cost'][i],
        amount: plan.amounts[i],
        keepMs: c.keepMs,
      })),
    );
    expect(plan.check.reservation.lease).toBe(plan.hold.lease);
  });

  it('checks without reserving when the request spends nothing', () => {
    const plan = planner.plan(keyWith({ tokens_per_day: 100 }), undefined, NOW);
    expect(plan?.check.amounts).toEqual([0]);
    expect(plan?.check.reservation).toBeUndefined();
    expect(plan?.hold).toBeUndefined();
  });

  it('gives each request its own amounts and lease over the same counters', () => {
    const key = keyWith({ tokens_per_minute: 10_000, tokens_per_day: 100_000 });
    const short = planner.plan(key, spending('hi'), NOW);
    const long = planner.plan(key, spending('hi '.repeat(200)), NOW + 1_000);
    expect(long?.check.counters).toBe(short?.check.counters); // built once for the minute
    expect(long?.amounts[0]).toBeGreaterThan(short?.amounts[0] ?? Infinity);
    expect(long?.hold?.lease).not.toBe(short?.hold?.lease);
    expect(decodeLease(long?.hold?.lease ?? '')?.counters[0]?.amount).toBe(long?.amounts[0]);
  });

  it('estimates a prompt the key sent before as the tokenizer does (its slices cached)', () => {
    const key = keyWith({ tokens_per_day: 100_000 });
    const prompt = 'Summarize the quarterly figures by region, then list the risks. '.repeat(40);
    const uncached = estimatePromptTokens(
      'openai',
      spending(prompt).body as Record<string, unknown>,
    );
    const first = planner.plan(key, spending(prompt), NOW);
    const again = planner.plan(key, spending(prompt), NOW + 1_000);
    expect(first?.hold?.promptTokens).toBe(uncached);
    expect(again?.hold?.promptTokens).toBe(uncached);
  });

  it('moves to the next period once the shortest one has ended', () => {
    const key = keyWith({ tokens_per_minute: 10_000, tokens_per_day: 100_000 });
    const before = planner.plan(key, spending(), NOW + 29_999);
    const after = planner.plan(key, spending(), NOW + 30_000);
    expect(before?.budgets[0]?.period.id).toBe('2026-12-05T08:24');
    expect(after?.budgets[0]?.period.id).toBe('2026-12-05T08:25');
    expect(after?.check.counters[0]?.key).toContain('2026-12-05T08:25');
    expect(after?.budgets[1]?.period.id).toBe('2026-12-05'); // the day goes on
    const lease = decodeLease(after?.hold?.lease ?? '');
    expect(lease?.counters[0]?.key).toContain('2026-12-05T08:25');
  });

  it('reads a key whose budgets changed (a new key object) afresh', () => {
    const key = keyWith({ tokens_per_day: 100 });
    expect(planner.plan(key, spending(), NOW)?.check.counters[0]?.limit).toBe(100);
    const raised = { ...key, budgets: { ...key.budgets, tokens_per_day: 500 } };
    expect(planner.plan(raised, spending(), NOW)?.check.counters[0]?.limit).toBe(500);
  });
});
