import { randomUUID } from 'node:crypto';
import type { AuditEventView, DeadLetterView } from '../apps/gateway/src/audit-admin/audit-view.js';
import type { Page } from '../apps/gateway/src/pagination/keyset-page.js';
import type pg from 'pg';
import request from 'supertest';
import { appendAuditEvents, type NewAuditEvent, resetAuditTables } from './support/audit-rows.js';
import { type GatewayWithKey, startGatewayWithKey } from './support/gateway-with-key.js';

describe('admin views: the audit trail and its dead letters', () => {
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

  describe('GET /api/v1/admin/audit', () => {
    const keyA = randomUUID();
    const keyB = randomUUID();
    let stored: { seq: string; event_id: string }[];

    beforeAll(async () => {
      await resetAudit();
      const base = Date.parse('2031-03-01T00:00:00.000Z');
      stored = await appendEvents(
        Array.from({ length: 25 }, (_, i) => ({
          type: i % 5 === 0 ? 'auth.failed' : 'request.completed',
          at: new Date(base + i * 60_000).toISOString(),
          key_id: i % 5 === 0 ? null : i % 2 === 0 ? keyA : keyB,
          actor: i % 5 === 0 ? 'anonymous' : 'client',
          request_id: `req-${i}`,
          ip: '203.0.113.7',
          method: 'POST',
          path: '/v1/chat/completions',
          data: { n: i, model: 'gpt-test' },
          bodies: i === 24 ? { request: { messages: '[redacted]' } } : undefined,
        })),
      );
    });

    it('lists newest first in snake_case, without bodies unless asked', async () => {
      const res = await get('/api/v1/admin/audit?limit=3').expect(200);
      const page = res.body as Page<AuditEventView>;
      expect(page.data.map((e) => e.seq)).toEqual(
        stored
          .slice(-3)
          .reverse()
          .map((r) => r.seq),
      );
      const newest = page.data[0];
      expect(newest).toMatchObject({
        event_id: stored[24]?.event_id,
        type: 'request.completed',
        at: '2031-03-01T00:24:00.000Z',
        actor: 'client',
        key_id: keyA,
        request: {
          request_id: 'req-24',
          ip: '203.0.113.7',
          method: 'POST',
          path: '/v1/chat/completions',
        },
        data: { n: 24, model: 'gpt-test' },
        has_bodies: true,
      });
      expect(typeof newest.seq).toBe('string');
      expect(newest.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(newest.prev_hash).toBe(page.data[1]?.hash);
      expect(Number.isNaN(Date.parse(newest.recorded_at))).toBe(false);
      expect(newest).not.toHaveProperty('bodies');
      expect(page.data[1]?.has_bodies).toBe(false);

      const withBodies = await get('/api/v1/admin/audit?limit=1&include_bodies=true').expect(200);
      expect((withBodies.body as Page<AuditEventView>).data[0]?.bodies).toEqual({
        request: { messages: '[redacted]' },
      });
    });

    it('pages with a cursor through every event exactly once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(
          `/api/v1/admin/audit?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        ).expect(200);
        const page = res.body as Page<AuditEventView>;
        seen.push(...page.data.map((e) => e.seq));
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor && pages < 10);
      expect(pages).toBe(4);
      expect(seen).toEqual(stored.map((r) => r.seq).reverse());
    });

    it('filters by type, key id and time range', async () => {
      const byType = (await get('/api/v1/admin/audit?type=auth.failed&limit=200').expect(200))
        .body as Page<AuditEventView>;
      expect(byType.data.map((e) => (e.data as { n: number }).n)).toEqual([20, 15, 10, 5, 0]);
      expect(
        byType.data.every((e) => e.request?.request_id !== undefined && e.key_id === null),
      ).toBe(true);

      const byKey = (await get(`/api/v1/admin/audit?key_id=${keyB}&limit=200`).expect(200))
        .body as Page<AuditEventView>;
      expect(byKey.data.map((e) => (e.data as { n: number }).n)).toEqual([
        23, 21, 19, 17, 13, 11, 9, 7, 3, 1,
      ]);

      const ranged = (
        await get(
          '/api/v1/admin/audit?since=2031-03-01T00:10:00.000Z&until=2031-03-01T01:13:00%2B01:00&limit=200',
        ).expect(200)
      ).body as Page<AuditEventView>;
      // until is exclusive and normalised to UTC (01:13+01:00 is 00:13Z).
      expect(ranged.data.map((e) => (e.data as { n: number }).n)).toEqual([12, 11, 10]);

      const combined = (
        await get(
          `/api/v1/admin/audit?type=request.completed&key_id=${keyA}&since=2031-03-01T00:20:00Z`,
        ).expect(200)
      ).body as Page<AuditEventView>;
      expect(combined.data.map((e) => (e.data as { n: number }).n)).toEqual([24, 22]);
    });

    it('rejects bad filters, cursors and unknown parameters with 400', async () => {
      for (const query of [
        'key_id=not-a-uuid',
        'since=yesterday',
        'limit=0',
        'limit=500',
        'cursor=%21%21',
        `cursor=${Buffer.from('12;drop').toString('base64url')}`,
        'include_bodies=yes',
        'type=DROP%20TABLE',
        'verbose=1',
      ]) {
        const res = await get(`/api/v1/admin/audit?${query}`);
        expect([query, res.status]).toEqual([query, 400]);
      }
    });
  });

  // Verification, signed heads and checkpoints are the audit app's (it holds the chain key):
  // test/audit-integrity.e2e-spec.ts.

  it('lists dead letters newest first with a cursor', async () => {
    await resetAudit();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await db.query<{ id: string }>(
        `INSERT INTO audit_dead_letters (job_id, reason, payload, received_at)
         VALUES ($1, $2, $3, now() - make_interval(secs => $4)) RETURNING id`,
        [`job-${i}`, `malformed: missing type (${i})`, JSON.stringify({ v: 1, n: i }), 100 - i],
      );
      ids.push(res.rows[0]?.id);
    }
    const first = (await get('/api/v1/admin/audit/dead-letters?limit=3').expect(200))
      .body as Page<DeadLetterView>;
    expect(first.data.map((d) => d.id)).toEqual([ids[4], ids[3], ids[2]]);
    expect(first.data[0]).toMatchObject({
      job_id: 'job-4',
      reason: 'malformed: missing type (4)',
      payload: { v: 1, n: 4 },
    });
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = (
      await get(
        `/api/v1/admin/audit/dead-letters?limit=3&cursor=${first.next_cursor ?? ''}`,
      ).expect(200)
    ).body as Page<DeadLetterView>;
    expect(second.data.map((d) => d.id)).toEqual([ids[1], ids[0]]);
    expect(second.next_cursor).toBeNull();
    await get('/api/v1/admin/audit/dead-letters?cursor=bm9wZQ').expect(400);
  });
});
