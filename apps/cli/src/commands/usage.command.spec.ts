import type { UsageReport } from '../../../gateway/src/usage/usage-view.js';
import { formatUsage } from './usage.command.js';

describe('formatUsage', () => {
  it('shows the grouped columns, the counts, and a TOTAL row in the first column', () => {
    const counts = { requests: 1, errors: 0, tokens_in: 10, tokens_out: 2, cost_usd: 0.5 };
    const report: UsageReport = {
      group_by: ['key', 'model'],
      since: null,
      until: null,
      data: [{ key_id: 'k1', model: 'gpt-4o', ...counts }],
      totals: { ...counts, requests: 3 },
      truncated: false,
    };
    expect(formatUsage(report).split('\n')).toEqual([
      'KEY    MODEL   REQUESTS  ERRORS  TOKENS IN  TOKENS OUT  COST USD',
      'k1     gpt-4o  1         0       10         2           0.5',
      'TOTAL  -       3         0       10         2           0.5',
    ]);
  });
});
