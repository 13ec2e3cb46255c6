import { randomUUID } from 'node:crypto';
import type { PreparedEvent } from '../ingest/audit-event-preparer.js';
import { usageRows } from './usage-rollup.js';

const KEY = randomUUID();

function completed(data: Record<string, unknown>): PreparedEvent {
  return {
    fields: {
      event_id: randomUUID(),
      type: 'request.completed',
      at: '2031-05-01T12:00:00.000Z',
      actor: 'client',
      key_id: KEY,
      request_id: null,
      ip: null,
      method: null,
      path: null,
      data: { model: 'gpt-a', status: 200, tokens_in: 1, tokens_out: 1, ...data },
      bodies_hash: null,
    },
    bodies: null,
  };
}

describe('usageRows cost', () => {
  it('sums cost_micros, counting missing, null and invalid amounts as 0', () => {
    const rows = usageRows([
      completed({ cost_micros: 1_234_567 }),
      completed({ cost_micros: 3 }),
      completed({}),
      completed({ cost_micros: null }),
      completed({ cost_micros: -5 }),
      completed({ cost_micros: 1.5 }),
      completed({ cost_micros: '100' }),
      completed({ cost_micros: Number.MAX_SAFE_INTEGER + 1 }),
    ]);
    expect(rows).toEqual([
      expect.objectContaining({
        day: '2031-05-01',
        key_id: KEY,
        requests: 8,
        cost_micros: 1_234_570,
      }),
    ]);
  });

  it('keeps each day, key and model its own cost', () => {
    const other = completed({ model: 'claude-b', cost_micros: 7 });
    const rows = usageRows([completed({ cost_micros: 11 }), other]);
    expect(rows.map((r) => [r.model, r.cost_micros])).toEqual([
      ['gpt-a', 11],
      ['claude-b', 7],
    ]);
  });
});
