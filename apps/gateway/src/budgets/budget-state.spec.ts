import { budgetHeaders, budgetState } from './budget-state.js';

const NOW = Date.parse('2026-12-04T10:00:00Z');

describe('budgetState', () => {
  it('reports tokens and requests as counted, with what is left and the seconds to reset', () => {
    expect(budgetState('tokens_per_day', 10_000, 2_500, NOW + 90_500, NOW)).toEqual({
      name: 'tokens_per_day',
      limit: 10_000,
      used: 2_500,
      remaining: 7_500,
      resetSeconds: 91,
    });
  });

  it('counts cost in µUSD and reports it in whole cents, rounded up', () => {
    // 1 cent = 10,000 µUSD: 10,001 µUSD is a started second cent.
    expect(budgetState('cost_per_day', 500, 10_001, NOW + 1_000, NOW)).toMatchObject({
      used: 2,
      remaining: 498,
    });
  });

  it('never reports negative use or remaining, and waits at least a second', () => {
    expect(budgetState('requests_per_day', 10, 12, NOW, NOW)).toMatchObject({
      used: 12,
      remaining: 0,
      resetSeconds: 1,
    });
    expect(budgetState('requests_per_day', 10, -3, NOW + 5_000, NOW)).toMatchObject({
      used: 0,
      remaining: 10,
    });
  });
});

describe('budgetHeaders', () => {
  it('writes limit, remaining and reset per budget, named for the budget', () => {
    const state = budgetState('cost_per_month', 1_000, 250_000, NOW + 60_000, NOW);
    expect(budgetHeaders([state])).toEqual([
      ['X-Budget-Cost-Month-Limit', '1000'],
      ['X-Budget-Cost-Month-Remaining', '975'],
      ['X-Budget-Cost-Month-Reset', '60'],
    ]);
  });
});
