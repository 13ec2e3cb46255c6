import { randomUUID } from 'node:crypto';
import type { UsageCounts, UsageReport } from '../apps/gateway/src/usage/usage-view.js';
import type pg from 'pg';
import request from 'supertest';
import { appendAuditEvents, type NewAuditEvent, resetAuditTables } from './support/audit-rows.js';
import { type GatewayWithKey, startGatewayWithKey } from './support/gateway-with-key.js';

type StoredCounts = Omit<UsageCounts, 'cost_usd'>;

describe('admin views: usage', () => {
  let fx: GatewayWithKey;
  let gw: GatewayWithKey['gw'];
  let db: pg.Client;
  let admin: string;

  const get = (path: string) => request(gw.url).get(path).set('x-api-key', admin);
  const appendEvents = (events: NewAuditEvent[]) => appendAuditEvents(db, events);
  const resetAudit = () => resetAuditTables(db);

  beforeAll(async () => {
    fx = await startGatewayWithKey();
    ({ gw, db, admin } = fx);
  }, 60_000);

  afterAll(async () => {
    await fx?.stop();
  }, 30_000);

  describe('GET /api/v1/admin/usage', () => {
    const keyA = randomUUID();
    const keyB = randomUUID();
    /** A usage_daily row: cost in µUSD, as stored. */
    type Rollup = { day: string; key: string; model: string; cost_micros: number } & StoredCounts;
    const rollups: Rollup[] = [];

    /** The rows' counts as the report shows them: cost summed in µUSD, then in USD. */
    const sum = (rows: Rollup[]): UsageCounts => {
      const total = rows.reduce(
        (t, r) => ({
          requests: t.requests + r.requests,
          errors: t.errors + r.errors,
          tokens_in: t.tokens_in + r.tokens_in,
          tokens_out: t.tokens_out + r.tokens_out,
          cost_micros: t.cost_micros + r.cost_micros,
        }),
        { requests: 0, errors: 0, tokens_in: 0, tokens_out: 0, cost_micros: 0 },
      );
      const { cost_micros, ...counts } = total;
      return { ...counts, cost_usd: cost_micros / 1e6 };
    };

    beforeAll(async () => {
      await resetAudit();
      let n = 1;
      for (const day of ['2031-05-01', '2031-05-02', '2031-05-03']) {
        for (const key of [keyA, keyB]) {
          for (const model of ['gpt-a', 'claude-b']) {
            n += 1;
            rollups.push({
              day,
              key,
              model,
              requests: n * 10,
              errors: n % 3,
              tokens_in: n * 1_000,
              tokens_out: n * 77,
              cost_micros: n * 123_457,
            });
          }
        }
      }
      for (const r of rollups) {
        await db.query(
          `INSERT INTO usage_daily (day, key_id, model, requests, errors, tokens_in, tokens_out,
                                    cost_micros)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [r.day, r.key, r.model, r.requests, r.errors, r.tokens_in, r.tokens_out, r.cost_micros],
        );
      }
      // Events that never made it into the rollups: usage must not count them (no event scans).
      await appendEvents(
        Array.from({ length: 5 }, () => ({
          type: 'request.completed',
          key_id: keyA,
          data: {
            model: 'gpt-a',
            status: 200,
            tokens_in: 1_000_000,
            tokens_out: 1_000_000,
            cost_micros: 1_000_000,
          },
        })),
      );
    });

    it('sums the rollups per day, with totals equal to the inserted rows', async () => {
      const report = (await get('/api/v1/admin/usage').expect(200)).body as UsageReport;
      expect(report.group_by).toEqual(['day']);
      expect(report.totals).toEqual(sum(rollups));
      expect(report.truncated).toBe(false);
      expect(report.data).toEqual(
        ['2031-05-01', '2031-05-02', '2031-05-03'].map((day) => ({
          day,
          ...sum(rollups.filter((r) => r.day === day)),
        })),
      );
    });

    it('groups by key, by model and by both, and filters by key, model and days', async () => {
      const byKey = (await get('/api/v1/admin/usage?group_by=key').expect(200)).body as UsageReport;
      expect(byKey.data).toEqual(
        expect.arrayContaining([
          { key_id: keyA, ...sum(rollups.filter((r) => r.key === keyA)) },
          { key_id: keyB, ...sum(rollups.filter((r) => r.key === keyB)) },
        ]),
      );
      expect(byKey.data).toHaveLength(2);

      const byModel = (await get('/api/v1/admin/usage?group_by=model').expect(200))
        .body as UsageReport;
      expect(byModel.data).toEqual([
        { model: 'claude-b', ...sum(rollups.filter((r) => r.model === 'claude-b')) },
        { model: 'gpt-a', ...sum(rollups.filter((r) => r.model === 'gpt-a')) },
      ]);

      const filtered = (
        await get(
          `/api/v1/admin/usage?group_by=key,model&key_id=${keyB}&model=gpt-a&since=2031-05-02&until=2031-05-03`,
        ).expect(200)
      ).body as UsageReport;
      const expected = rollups.filter(
        (r) =>
          r.key === keyB && r.model === 'gpt-a' && r.day >= '2031-05-02' && r.day <= '2031-05-03',
      );
      expect(expected).toHaveLength(2);
      expect(filtered.data).toEqual([{ key_id: keyB, model: 'gpt-a', ...sum(expected) }]);
      expect(filtered.totals).toEqual(sum(expected));

      const none = (await get('/api/v1/admin/usage?since=2030-01-01&until=2030-01-31').expect(200))
        .body as UsageReport;
      expect(none.data).toEqual([]);
      expect(none.totals).toEqual({
        requests: 0,
        errors: 0,
        tokens_in: 0,
        tokens_out: 0,
        cost_usd: 0,
      });
    });

    it('rejects invalid days, groupings and ranges with 400', async () => {
      for (const query of [
        'since=2031-02-30',
        'until=05/01/2031',
        'group_by=account',
        'since=2031-05-03&until=2031-05-01',
        'key_id=nope',
      ]) {
        const res = await get(`/api/v1/admin/usage?${query}`);
        expect([query, res.status]).toEqual([query, 400]);
      }
    });
  });
});
