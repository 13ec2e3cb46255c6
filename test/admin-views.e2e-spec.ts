import { legacyChainHash, GENESIS_HASH, bodiesHash, type ChainedFields } from '@gatehouse/audit';
import { RETENTION_JOB_NAME, type RetentionSummary } from '@gatehouse/queue';
import { Queue, Worker } from 'bullmq';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { type SpawnedApp, spawnGateway } from './support/spawn-app.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

type AuditEventView = {
  seq: string;
  event_id: string;
  type: string;
  at: string;
  recorded_at: string;
  actor: string;
  key_id: string | null;
  request: {
    request_id: string | null;
    ip: string | null;
    method: string | null;
    path: string | null;
  } | null;
  data: Record<string, unknown>;
  has_bodies: boolean;
  bodies?: unknown;
  bodies_hash: string | null;
  prev_hash: string;
  hash: string;
};
type Page<T> = { data: T[]; next_cursor: string | null };
type UsageCounts = {
  requests: number;
  errors: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
};
type StoredCounts = Omit<UsageCounts, 'cost_usd'>;
type UsageReport = {
  group_by: string[];
  data: ({ day?: string; key_id?: string; model?: string } & UsageCounts)[];
  totals: UsageCounts;
  truncated: boolean;
};
type QueueHealth = {
  available: boolean;
  waiting: number;
  active: number;
  failed: number;
  delayed: number;
  completed: number;
  workers: number | null;
};
type SystemHealth = {
  status: string;
  postgres: { up: boolean; latency_ms: number | null };
  redis: { up: boolean; latency_ms: number | null; version?: string };
  queues: Record<'proxy' | 'audit' | 'audit-maintenance', QueueHealth>;
  audit_lag: { available: boolean; waiting_events: number; oldest_waiting_age_ms: number };
};

const ROUTES: ['get' | 'post', string][] = [
  ['get', '/api/v1/admin/audit'],
  ['get', '/api/v1/admin/audit/verify'],
  ['get', '/api/v1/admin/audit/dead-letters'],
  ['get', '/api/v1/admin/usage'],
  ['get', '/api/v1/admin/system-health'],
  ['get', '/api/v1/admin/disk-usage'],
  ['post', '/api/v1/admin/retention/run?wait_seconds=0'],
];

type NewEvent = Partial<Omit<ChainedFields, 'bodies_hash'>> & { bodies?: Record<string, unknown> };

describe('admin views: audit, verify, dead letters, usage, system health, disk usage, retention', () => {
  let env: TestEnv;
  let pgProxy: TcpProxy;
  let gw: SpawnedApp & { url: string };
  let db: pg.Client;
  let admin: string;
  let clientKey: string;
  let bullPrefix: string;
  const connection = (() => {
    const url = new URL(TEST_REDIS_URL);
    return { host: url.hostname, port: url.port ? Number(url.port) : 6379 };
  })();

  const get = (path: string) => request(gw.url).get(path).set('x-api-key', admin);

  /** Appends events to the chain as the audit app would: each hash over the previous one. */
  async function appendEvents(events: NewEvent[]): Promise<{ seq: string; event_id: string }[]> {
    const head = await db.query<{ hash: string }>(
      'SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1',
    );
    let prev = head.rows[0]?.hash ?? GENESIS_HASH;
    const columns: unknown[][] = Array.from({ length: 14 }, () => []);
    for (const e of events) {
      const fields: ChainedFields = {
        event_id: e.event_id ?? randomUUID(),
        type: e.type ?? 'request.completed',
        at: e.at ?? new Date().toISOString(),
        actor: e.actor ?? 'client',
        key_id: e.key_id ?? null,
        request_id: e.request_id ?? null,
        ip: e.ip ?? null,
        method: e.method ?? null,
        path: e.path ?? null,
        data: e.data ?? {},
        bodies_hash: bodiesHash(e.bodies),
      };
      const hash = legacyChainHash(prev, fields); // only listed here, never verified
      const row = [
        fields.event_id,
        fields.type,
        fields.at,
        fields.actor,
        fields.key_id,
        fields.request_id,
        fields.ip,
        fields.method,
        fields.path,
        JSON.stringify(fields.data),
        e.bodies ? JSON.stringify(e.bodies) : null,
        fields.bodies_hash,
        prev,
        hash,
      ];
      row.forEach((v, i) => columns[i]?.push(v));
      prev = hash;
    }
    const res = await db.query<{ seq: string; event_id: string }>(
      `INSERT INTO audit_events (event_id, type, at, actor, key_id, request_id, ip, method, path, data,
                                 bodies, bodies_hash, prev_hash, hash)
       SELECT event_id, type, at, actor, key_id, request_id, ip, method, path, data, bodies,
              bodies_hash, prev_hash, hash
         FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::uuid[],
                            $6::varchar[], $7::varchar[], $8::varchar[], $9::varchar[], $10::jsonb[],
                            $11::jsonb[], $12::char(64)[], $13::char(64)[], $14::char(64)[])
         WITH ORDINALITY AS t(event_id, type, at, actor, key_id, request_id, ip, method, path, data,
                              bodies, bodies_hash, prev_hash, hash, n)
        ORDER BY n
       RETURNING seq::text AS seq, event_id`,
      columns,
    );
    return res.rows.sort((a, b) => Number(a.seq) - Number(b.seq));
  }

  async function resetAudit(): Promise<void> {
    await db.query('TRUNCATE audit_events, audit_checkpoints, audit_dead_letters, usage_daily');
  }

  beforeAll(async () => {
    env = await createTestEnv();
    admin = env.adminKey;
    bullPrefix = `{${env.redisPrefix}}`;
    // The gateway reaches Postgres through a proxy this suite can cut, to show an outage.
    const dbUrl = new URL(env.database.url);
    pgProxy = await startTcpProxy(dbUrl.hostname, dbUrl.port ? Number(dbUrl.port) : 5432);
    dbUrl.hostname = '127.0.0.1';
    dbUrl.port = String(pgProxy.port);
    gw = await spawnGateway({ ...env.env, DATABASE_URL: dbUrl.toString() });
    db = new pg.Client({ connectionString: env.database.url });
    await db.connect();
    clientKey = (await createKey(gw.url, admin)).key;
  }, 60_000);

  afterAll(async () => {
    await db?.end();
    await gw?.stop();
    await pgProxy?.close();
    await env?.cleanup();
  }, 30_000);

  it('answers 401 without a key and 403 with a client key on every admin view', async () => {
    for (const [method, path] of ROUTES) {
      const none = await request(gw.url)[method](path);
      expect([path, none.status]).toEqual([path, 401]);
      const client = await request(gw.url)[method](path).set('x-api-key', clientKey);
      expect([path, client.status]).toEqual([path, 403]);
      expect((client.body as { error: { type: string } }).error.type).toBe('permission_denied');
    }
    // The refused retention runs enqueued nothing.
    const queue = new Queue('audit-maintenance', { connection, prefix: bullPrefix });
    try {
      expect(
        await queue.getJobCountByTypes('waiting', 'delayed', 'active', 'completed', 'failed'),
      ).toBe(0);
    } finally {
      await queue.close();
    }
  });

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
    const first = (await get('/api/v1/admin/audit/dead-letters?limit=3').expect(200)).body as Page<{
      id: string;
      job_id: string;
      reason: string;
      payload: unknown;
      received_at: string;
    }>;
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
    ).body as Page<{ id: string }>;
    expect(second.data.map((d) => d.id)).toEqual([ids[1], ids[0]]);
    expect(second.next_cursor).toBeNull();
    await get('/api/v1/admin/audit/dead-letters?cursor=bm9wZQ').expect(400);
  });

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

  describe('system health, disk usage and retention', () => {
    let maintenance: Queue;
    let auditQueue: Queue;
    let worker: Worker | undefined;

    beforeAll(() => {
      maintenance = new Queue('audit-maintenance', { connection, prefix: bullPrefix });
      auditQueue = new Queue('audit', { connection, prefix: bullPrefix });
    });

    afterEach(async () => {
      await worker?.close();
      worker = undefined;
    });

    afterAll(async () => {
      await maintenance?.close();
      await auditQueue?.close();
    });

    it('reports Postgres, Redis, every queue with its workers, and the audit lag', async () => {
      const before = (await get('/api/v1/admin/system-health').expect(200)).body as SystemHealth;
      expect(before.status).toBe('ok');
      expect(before.postgres.up).toBe(true);
      expect(before.postgres.latency_ms).toEqual(expect.any(Number));
      expect(before.redis).toMatchObject({ up: true, version: expect.stringMatching(/^\d+\./) });
      for (const name of ['proxy', 'audit', 'audit-maintenance'] as const) {
        expect(before.queues[name]).toMatchObject({
          available: true,
          waiting: expect.any(Number),
          active: expect.any(Number),
          failed: expect.any(Number),
          delayed: expect.any(Number),
          workers: 0,
        });
      }

      // Three audit events left waiting, with no audit app running to write them.
      await auditQueue.obliterate({ force: true });
      for (let i = 0; i < 3; i += 1) await auditQueue.add('audit.event', { i });
      await new Promise((r) => setTimeout(r, 1_200));
      worker = new Worker('audit-maintenance', () => Promise.resolve({}), {
        connection,
        prefix: bullPrefix,
      });
      await worker.waitUntilReady();

      const after = (await get('/api/v1/admin/system-health').expect(200)).body as SystemHealth;
      expect(after.queues['audit-maintenance'].workers).toBe(1);
      expect(after.queues.audit.waiting).toBeGreaterThanOrEqual(3);
      expect(after.audit_lag.available).toBe(true);
      expect(after.audit_lag.waiting_events).toBeGreaterThanOrEqual(3);
      expect(after.audit_lag.oldest_waiting_age_ms).toBeGreaterThanOrEqual(1_200);
      expect(after.audit_lag.oldest_waiting_age_ms).toBeLessThan(30_000);
      await auditQueue.obliterate({ force: true });
    });

    it('reports Postgres down, quickly, without failing the page', async () => {
      pgProxy.cut();
      try {
        const started = Date.now();
        const res = await get('/api/v1/admin/system-health').timeout(5_000).expect(200);
        const body = res.body as SystemHealth;
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(body.status).toBe('degraded');
        expect(body.postgres).toMatchObject({ up: false, latency_ms: null });
        expect(body.redis.up).toBe(true);
        expect(body.queues.proxy.available).toBe(true);

        const disk = (await get('/api/v1/admin/disk-usage').timeout(5_000).expect(200)).body as {
          database: { available: boolean };
          redis: { available: boolean };
          data_directory: { path: string | null; reason?: string };
        };
        expect(disk.database.available).toBe(false);
        expect(disk.redis.available).toBe(true);
        expect(disk.data_directory).toMatchObject({ path: null, reason: expect.any(String) });
      } finally {
        pgProxy.restore();
      }
      // And back once Postgres is.
      let back: SystemHealth | undefined;
      for (let i = 0; i < 50 && !back?.postgres.up; i += 1) {
        back = (await get('/api/v1/admin/system-health').expect(200)).body as SystemHealth;
        if (!back.postgres.up) await new Promise((r) => setTimeout(r, 200));
      }
      expect(back?.postgres.up).toBe(true);
    }, 30_000);

    it('reports database size, the largest tables, Redis memory and the data directory', async () => {
      await resetAudit();
      await appendEvents(
        Array.from({ length: 2_000 }, (_, i) => ({ data: { i, pad: 'x'.repeat(200) } })),
      );
      await db.query('ANALYZE audit_events');
      const body = (await get('/api/v1/admin/disk-usage').expect(200)).body as {
        database: {
          available: boolean;
          name: string;
          bytes: number;
          largest_tables: { name: string; bytes: number }[];
        };
        redis: {
          available: boolean;
          used_memory_bytes: number;
          maxmemory_bytes: number;
          maxmemory_policy: string;
        };
        data_directory: {
          path: string | null;
          total_bytes: number | null;
          free_bytes: number | null;
          reason?: string;
        };
        gateway_filesystem: { total_bytes: number; free_bytes: number } | null;
      };
      expect(body.database.available).toBe(true);
      expect(body.database.name).toBe(env.database.name);
      expect(body.database.bytes).toBeGreaterThan(1_000_000);
      const tables = body.database.largest_tables;
      expect(tables.length).toBeGreaterThan(3);
      expect(tables.length).toBeLessThanOrEqual(10);
      expect(tables[0]?.name).toBe('audit_events');
      expect(tables.map((t) => t.bytes)).toEqual(
        [...tables.map((t) => t.bytes)].sort((a, b) => b - a),
      );
      // The ten largest of more tables than that: the small ones (usage_daily, model_prices) may
      // tie and fall either side of the cut; api_keys holds this suite's keys.
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['api_keys', 'jobs']));

      expect(body.redis.available).toBe(true);
      expect(body.redis.used_memory_bytes).toBeGreaterThan(0);
      expect(body.redis.maxmemory_bytes).toEqual(expect.any(Number));
      expect(body.redis.maxmemory_policy).toEqual(expect.any(String));

      // The suite connects as a superuser, which may read data_directory; the filesystem is
      // reported when the gateway can see it (here: the same host), else a reason is given.
      expect(body.data_directory.path).toEqual(expect.stringMatching(/^\//));
      if (body.data_directory.total_bytes === null) {
        expect(body.data_directory.reason).toEqual(expect.any(String));
      } else {
        expect(body.data_directory.total_bytes).toBeGreaterThan(0);
        expect(body.data_directory.free_bytes).toBeLessThanOrEqual(body.data_directory.total_bytes);
      }
      expect(body.gateway_filesystem?.total_bytes).toBeGreaterThan(0);
    });

    it('reports the data directory as unreadable, with a reason, for a role without the right', async () => {
      // A login role that is not a superuser and lacks pg_read_all_settings, as in production.
      const role = `gh_ro_${randomBytes(6).toString('hex')}`;
      const password = randomBytes(24).toString('hex');
      await db.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      let limited: (SpawnedApp & { url: string }) | undefined;
      try {
        await db.query(`GRANT CONNECT ON DATABASE ${env.database.name} TO ${role}`);
        await db.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
        await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
        const url = new URL(env.database.url);
        url.username = role;
        url.password = password;
        limited = await spawnGateway({
          ...env.env,
          DATABASE_URL: url.toString(),
          DB_RUN_MIGRATIONS: 'false',
        });
        const body = (
          await request(limited.url)
            .get('/api/v1/admin/disk-usage')
            .set('x-api-key', admin)
            .expect(200)
        ).body as {
          database: { available: boolean; bytes: number };
          data_directory: { path: string | null; total_bytes: number | null; reason?: string };
        };
        expect(body.data_directory).toEqual({
          path: null,
          total_bytes: null,
          free_bytes: null,
          reason: expect.stringContaining('pg_read_all_settings'),
        });
        // The rest of the page still works for that role.
        expect(body.database.available).toBe(true);
        expect(body.database.bytes).toBeGreaterThan(0);
      } finally {
        await limited?.stop();
        await db.query(`DROP OWNED BY ${role}`);
        await db.query(`DROP ROLE ${role}`);
      }
    }, 45_000);

    it('runs retention through the audit-maintenance queue and returns its summary', async () => {
      const summary: RetentionSummary = {
        deleted_events: 42,
        deleted_bodies: 7,
        deleted_job_results: 3,
        checkpoint: { last_deleted_seq: '42', last_deleted_hash: randomBytes(32).toString('hex') },
        ran_at: new Date().toISOString(),
      };
      const seen: { name: string; data: unknown; id?: string }[] = [];
      worker = new Worker(
        'audit-maintenance',
        async (job) => {
          seen.push({ name: job.name, data: job.data, id: job.id });
          await new Promise((r) => setTimeout(r, 300)); // a run takes a moment
          return summary;
        },
        { connection, prefix: bullPrefix },
      );
      await worker.waitUntilReady();

      const res = await request(gw.url)
        .post('/api/v1/admin/retention/run')
        .set('x-api-key', admin)
        .expect(200);
      expect(res.body).toEqual(summary);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ name: RETENTION_JOB_NAME, data: { trigger: 'admin' } });
      expect((seen[0]?.data as { request: { request_id: string } }).request.request_id).toBe(
        res.headers['x-request-id'],
      );

      // Each run is its own job (unique ids), not deduplicated away.
      await request(gw.url).post('/api/v1/admin/retention/run').set('x-api-key', admin).expect(200);
      expect(seen).toHaveLength(2);
      expect(seen[1]?.id).not.toBe(seen[0]?.id);
    });

    it('answers 202 with the job id when no audit worker finishes in time, and 500 when the run fails', async () => {
      const started = Date.now();
      const res = await request(gw.url)
        .post('/api/v1/admin/retention/run?wait_seconds=1')
        .set('x-api-key', admin)
        .expect(202);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      const body = res.body as { job_id: string; status: string };
      expect(body.status).toBe('queued');
      const job = await maintenance.getJob(body.job_id);
      expect(job?.name).toBe(RETENTION_JOB_NAME);
      expect(await job?.getState()).toBe('waiting');

      // The queued run is picked up once an audit worker is there; a failing one is reported.
      worker = new Worker(
        'audit-maintenance',
        (j) =>
          j.id === body.job_id
            ? Promise.resolve({ deleted_events: 0 })
            : Promise.reject(new Error('retention exploded')),
        { connection, prefix: bullPrefix },
      );
      const failed = await request(gw.url)
        .post('/api/v1/admin/retention/run')
        .set('x-api-key', admin)
        .expect(500);
      expect((failed.body as { error: { message: string } }).error.message).not.toContain(
        'exploded',
      );
      expect(await maintenance.getJobState(body.job_id)).toBe('completed');

      await request(gw.url)
        .post('/api/v1/admin/retention/run?wait_seconds=31')
        .set('x-api-key', admin)
        .expect(400);
    });
  });
});
