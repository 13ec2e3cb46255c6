import { BUDGET_NAMES, type BudgetName } from '@gatehouse/budgets';
import type { AuditEvent } from '@gatehouse/queue';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { awayFromPeriodEnd, budgetCounter } from './support/budget-periods.js';
import {
  auditQueue,
  dbClient,
  makeEvent,
  produce,
  settledCounts,
  spawnAudit,
  waitForRows,
} from './support/audit-kit.js';
import { type SpawnedApp, spawnGateway, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

type UsageCounts = {
  requests: number;
  errors: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
};
type UsageGroup = { day?: string; key_id?: string; model?: string } & UsageCounts;
type UsageReport = { group_by: string[]; data: UsageGroup[]; totals: UsageCounts };

/** What a test request.completed event carries; `cost` is left out of the event when undefined. */
type Completed = { key: string; model: string; day: string; status: number; cost?: unknown };

/**
 * Spend controls an admin sees and exercises: request costs rolled up by a real audit app and
 * reported by the gateway's usage view, and a key's budget counters reset in Redis.
 */
describe('spend: usage cost and budget reset', () => {
  let env: TestEnv;
  let gw: SpawnedApp & { url: string };
  let audit: SpawnedApp;
  let queue: Queue;
  let db: pg.Client;
  let redis: Redis;
  let admin: string;

  beforeAll(async () => {
    env = await createTestEnv({ AUDIT_BATCH_WAIT_MS: '20' });
    admin = env.adminKey;
    gw = await spawnGateway(env.env); // migrates first; the audit app then finds it done
    audit = await spawnAudit(env.env);
    queue = auditQueue(env.redisPrefix);
    db = await dbClient(env.database.url);
    redis = new Redis(TEST_REDIS_URL);
  }, 60_000);

  afterAll(async () => {
    redis?.disconnect();
    await queue?.close();
    await db?.end();
    await audit?.stop();
    await gw?.stop();
    await env?.cleanup();
  }, 30_000);

  describe('GET /api/v1/admin/usage: cost_usd', () => {
    // Sorted, so the report's order (by key id) is known.
    const [keyA, keyB] = [randomUUID(), randomUUID()].sort() as [string, string];
    const completed: Completed[] = [
      { key: keyA, model: 'gpt-a', day: '2031-05-01', status: 200, cost: 1_234_567 },
      { key: keyA, model: 'gpt-a', day: '2031-05-01', status: 200 }, // no cost_micros: 0
      { key: keyA, model: 'gpt-a', day: '2031-05-02', status: 200, cost: 250_000 },
      { key: keyA, model: 'claude-b', day: '2031-05-02', status: 200, cost: null }, // unpriced
      { key: keyB, model: 'gpt-a', day: '2031-05-01', status: 200, cost: 1 },
      { key: keyB, model: 'gpt-a', day: '2031-05-01', status: 200, cost: -7 }, // invalid: 0
      { key: keyB, model: 'claude-b', day: '2031-05-02', status: 502, cost: 2_000_000 },
      { key: keyB, model: 'claude-b', day: '2031-05-02', status: 200, cost: '5' }, // invalid: 0
    ];
    const micros = (c: Completed) =>
      typeof c.cost === 'number' && Number.isSafeInteger(c.cost) && c.cost > 0 ? c.cost : 0;

    const get = (query: string) =>
      request(gw.url).get(`/api/v1/admin/usage?${query}`).set('x-api-key', admin).expect(200);

    beforeAll(async () => {
      const events: AuditEvent[] = completed.map((c, i) =>
        makeEvent({
          type: 'request.completed',
          actor: 'client',
          key_id: c.key,
          at: `${c.day}T10:00:0${i}.000Z`,
          data: {
            endpoint: 'chat.completions',
            model: c.model,
            status: c.status,
            tokens_in: 100,
            tokens_out: 10,
            ...(c.cost === undefined ? {} : { cost_micros: c.cost }),
          },
        }),
      );
      await produce(queue, events, env.env.AUDIT_EVENT_KEY);
      // The rollups are written in the transaction that stores the events.
      await waitForRows(db, 'audit_events', events.length, 15_000, "type = 'request.completed'");
      await settledCounts(queue);
    }, 30_000);

    it('reports each key, model and day its exact cost in USD, and the total', async () => {
      const report = (await get('group_by=key,model,day').expect(200)).body as UsageReport;
      const counts = (requests: number, errors: number, cost_usd: number) => ({
        requests,
        errors,
        tokens_in: 100 * requests,
        tokens_out: 10 * requests,
        cost_usd,
      });
      expect(report.data).toEqual([
        { key_id: keyA, model: 'claude-b', day: '2031-05-02', ...counts(1, 0, 0) },
        { key_id: keyA, model: 'gpt-a', day: '2031-05-01', ...counts(2, 0, 1.234567) },
        { key_id: keyA, model: 'gpt-a', day: '2031-05-02', ...counts(1, 0, 0.25) },
        { key_id: keyB, model: 'claude-b', day: '2031-05-02', ...counts(2, 1, 2) },
        { key_id: keyB, model: 'gpt-a', day: '2031-05-01', ...counts(2, 0, 0.000001) },
      ]);
      expect(report.totals).toEqual(counts(8, 1, 3.484568));
    });

    it('sums cost_usd under every grouping, and in the totals of a filtered view', async () => {
      const dimension = { day: 'day', key: 'key_id', model: 'model' } as const;
      const valueOf = (c: Completed, d: keyof typeof dimension) =>
        d === 'key' ? c.key : d === 'model' ? c.model : c.day;
      for (const groupBy of ['day', 'key', 'model', 'key,model', 'day,model', 'day,key']) {
        const dims = groupBy.split(',') as (keyof typeof dimension)[];
        const report = (await get(`group_by=${groupBy}`)).body as UsageReport;
        const expected = new Map<string, number>();
        for (const c of completed) {
          const id = dims.map((d) => valueOf(c, d)).join('|');
          expected.set(id, (expected.get(id) ?? 0) + micros(c));
        }
        const actual = new Map(
          report.data.map((g) => [dims.map((d) => g[dimension[d]]).join('|'), g.cost_usd]),
        );
        expect([groupBy, actual]).toEqual([
          groupBy,
          new Map([...expected].map(([id, m]) => [id, m / 1e6])),
        ]);
        expect([groupBy, report.totals.cost_usd]).toEqual([groupBy, 3.484568]);
      }

      const filtered = (await get(`group_by=model&key_id=${keyB}&since=2031-05-02`)).body;
      expect((filtered as UsageReport).data).toEqual([
        {
          model: 'claude-b',
          requests: 2,
          errors: 1,
          tokens_in: 200,
          tokens_out: 20,
          cost_usd: 2,
        },
      ]);
      expect((filtered as UsageReport).totals.cost_usd).toBe(2);

      const empty = (await get('since=2030-01-01&until=2030-01-02')).body as UsageReport;
      expect(empty.totals.cost_usd).toBe(0);
    });
  });

  describe('POST /api/v1/admin/keys/:id/budgets/reset', () => {
    const prefix = () => env.redisPrefix;
    const reset = (keyId: string, body?: unknown) => {
      const req = request(gw.url)
        .post(`/api/v1/admin/keys/${keyId}/budgets/reset`)
        .set('x-api-key', admin);
      return body === undefined ? req : req.send(body as object);
    };

    /** Sets every budget counter of the key's current periods: 100, 200, … in BUDGET_NAMES order. */
    async function fillCounters(keyId: string): Promise<void> {
      // Counters set now and reset a moment later are of the same periods.
      await awayFromPeriodEnd('tokens_per_minute', 3_000);
      for (const [i, name] of BUDGET_NAMES.entries()) {
        await redis.set(budgetCounter(prefix(), keyId, name), String(100 * (i + 1)), 'EX', 600);
      }
    }

    /** The key's counters that are left, by budget name, with their values. */
    async function remaining(keyId: string): Promise<Partial<Record<BudgetName, string>>> {
      const left: Partial<Record<BudgetName, string>> = {};
      for (const name of BUDGET_NAMES) {
        const value = await redis.get(budgetCounter(prefix(), keyId, name));
        if (value !== null) left[name] = value;
      }
      return left;
    }

    /** The key.budget_reset events the audit app stored for the key, oldest first. */
    async function resetEvents(keyId: string): Promise<{ actor: string; data: unknown }[]> {
      const res = await request(gw.url)
        .get(`/api/v1/admin/audit?type=key.budget_reset&key_id=${keyId}`)
        .set('x-api-key', admin)
        .expect(200);
      return (res.body as { data: { actor: string; data: unknown }[] }).data
        .map((e) => ({ actor: e.actor, data: e.data }))
        .reverse();
    }

    it('deletes the named budgets of the current periods and keeps the rest', async () => {
      const { id } = await createKey(gw.url, admin);
      const other = await createKey(gw.url, admin);
      await fillCounters(id);
      await fillCounters(other.id);
      // Yesterday's day counter is a closed period: a reset of today leaves it.
      const yesterday = budgetCounter(
        prefix(),
        id,
        'tokens_per_day',
        new Date(Date.now() - 86_400_000),
      );
      await redis.set(yesterday, '999', 'EX', 600);

      const res = await reset(id, { budgets: ['cost_per_day', 'tokens_per_minute'] }).expect(200);
      // Each name once, in the order budgets are listed everywhere.
      expect(res.body).toEqual({ key_id: id, reset: ['tokens_per_minute', 'cost_per_day'] });
      expect(await remaining(id)).toEqual({
        tokens_per_day: '200',
        requests_per_day: '300',
        cost_per_month: '500',
      });
      expect(await redis.get(yesterday)).toBe('999');
      // Another key's counters are its own.
      expect(Object.keys(await remaining(other.id))).toEqual([...BUDGET_NAMES]);

      await waitFor(async () => (await resetEvents(id)).length === 1, 15_000, audit.output);
      expect(await resetEvents(id)).toEqual([
        { actor: 'admin', data: { budgets: ['tokens_per_minute', 'cost_per_day'] } },
      ]);
    });

    it('resets all five budgets without a body or with an empty one', async () => {
      const { id } = await createKey(gw.url, admin);
      for (const body of [undefined, {}]) {
        await fillCounters(id);
        expect(Object.keys(await remaining(id))).toHaveLength(5);
        const res = await reset(id, body).expect(200);
        expect(res.body).toEqual({ key_id: id, reset: [...BUDGET_NAMES] });
        expect(await remaining(id)).toEqual({});
      }
      await waitFor(async () => (await resetEvents(id)).length === 2, 15_000, audit.output);
      expect((await resetEvents(id)).map((e) => e.data)).toEqual([
        { budgets: [...BUDGET_NAMES] },
        { budgets: [...BUDGET_NAMES] },
      ]);
    });

    it('is for the admin only: 401 without a key, 403 with a client key', async () => {
      const { id, key } = await createKey(gw.url, admin);
      await fillCounters(id);
      const path = `/api/v1/admin/keys/${id}/budgets/reset`;
      const none = await request(gw.url).post(path).send({}).expect(401);
      expect(none.body.error.type).toBe('authentication_error');
      // Not even a key's own counters: that would lift its budgets at will.
      const own = await request(gw.url).post(path).set('x-api-key', key).send({}).expect(403);
      expect(own.body.error.type).toBe('permission_denied');
      expect(Object.keys(await remaining(id))).toHaveLength(5);
    });

    it('answers 404 for an unknown or revoked key, 400 for a bad id or budget list, and audits none', async () => {
      const unknown = randomUUID();
      const missing = await reset(unknown, {}).expect(404);
      expect(missing.body.error.type).toBe('not_found');

      const { id } = await createKey(gw.url, admin);
      await fillCounters(id);
      await reset('not-a-uuid', {}).expect(400);
      for (const body of [
        { budgets: ['tokens_per_week'] },
        { budgets: ['cost_per_day', 'COST_PER_MONTH'] },
        { budgets: 'cost_per_day' },
        { budgets: [] },
        { budgets: null },
        { budgets: ['cost_per_day'], also: 'this' },
      ]) {
        const res = await reset(id, body);
        expect([body, res.status, res.body.error?.type]).toEqual([body, 400, 'invalid_request']);
      }
      const named = await reset(id, { budgets: ['tokens_per_week'] }).expect(400);
      expect(JSON.stringify(named.body.error.message)).toContain('tokens_per_minute');
      // Nothing was reset by a refused request.
      expect(Object.keys(await remaining(id))).toHaveLength(5);

      const revoked = await createKey(gw.url, admin);
      await fillCounters(revoked.id);
      await request(gw.url)
        .post(`/api/v1/admin/keys/${revoked.id}/revoke`)
        .set('x-api-key', admin)
        .expect(200);
      const gone = await reset(revoked.id, {}).expect(404);
      expect(gone.body.error.type).toBe('not_found');
      expect(Object.keys(await remaining(revoked.id))).toHaveLength(5);

      // A marker reset after the refusals: once it is stored, the refusals would have been too.
      await reset(id, { budgets: ['requests_per_day'] }).expect(200);
      await waitFor(async () => (await resetEvents(id)).length > 0, 15_000, audit.output);
      await settledCounts(queue);
      expect(await resetEvents(id)).toEqual([
        { actor: 'admin', data: { budgets: ['requests_per_day'] } },
      ]);
      for (const keyId of [unknown, revoked.id]) expect(await resetEvents(keyId)).toEqual([]);
    });
  });
});
