import { budgetCounterKey, budgetPeriod, reservationLeasesKey } from './budget-periods.js';

const at = (iso: string) => new Date(iso);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('budgetPeriod', () => {
  it('ends a minute budget at the next UTC minute and keeps its counter ten minutes', () => {
    expect(budgetPeriod('tokens_per_minute', at('2026-12-04T10:15:42.123Z'))).toEqual({
      name: 'tokens_per_minute',
      id: '2026-12-04T10:15',
      endsAt: Date.parse('2026-12-04T10:16:00Z'),
      keepMs: 10 * MINUTE,
    });
  });

  it('ends a day budget at UTC midnight and keeps its counter two days', () => {
    expect(budgetPeriod('cost_per_day', at('2026-12-31T23:59:59.999Z'))).toEqual({
      name: 'cost_per_day',
      id: '2026-12-31',
      endsAt: Date.parse('2027-01-01T00:00:00Z'),
      keepMs: 2 * DAY,
    });
  });

  it('ends a month budget on the first of the next UTC month, across a year', () => {
    expect(budgetPeriod('cost_per_month', at('2026-12-15T08:00:00Z'))).toMatchObject({
      id: '2026-12',
      endsAt: Date.parse('2027-01-01T00:00:00Z'),
      keepMs: 33 * DAY,
    });
  });
});

describe('budget keys', () => {
  it('keeps every counter in the admission slot, tokens_per_day under its older name', () => {
    const day = budgetPeriod('tokens_per_day', at('2026-12-04T10:00:00Z'));
    const minute = budgetPeriod('tokens_per_minute', at('2026-12-04T10:00:00Z'));
    expect(budgetCounterKey('gh', 'k1', day)).toBe('gh:{limits}:usage:tokens:k1:2026-12-04');
    expect(budgetCounterKey('gh', 'k1', minute)).toBe(
      'gh:{limits}:budget:tokens_per_minute:k1:2026-12-04T10:00',
    );
    expect(reservationLeasesKey('gh')).toBe('gh:{limits}:budget:leases');
  });
});
