import { RETENTION_JOB_NAME, type RetentionSummary } from '@gatehouse/queue';
import { Queue, Worker } from 'bullmq';
import { randomBytes } from 'node:crypto';
import type { SystemHealth } from '../apps/gateway/src/system/system-health.service.js';
import type pg from 'pg';
import request from 'supertest';
import { appendAuditEvents, type NewAuditEvent, resetAuditTables } from './support/audit-rows.js';
import { type GatewayWithKey, startGatewayWithKey } from './support/gateway-with-key.js';
import { type SpawnedApp, spawnGateway } from './support/spawn-app.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import type { TestEnv } from './support/test-env.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

const connection = (() => {
  const url = new URL(TEST_REDIS_URL);
  return { host: url.hostname, port: url.port ? Number(url.port) : 6379 };
})();

/** A probe's report, which must say it was available (then its figures are there). */
function available<T extends { available: boolean }>(report: T): Extract<T, { available: true }> {
  expect(report.available).toBe(true);
  return report as Extract<T, { available: true }>;
}

describe('admin views: system health, disk usage and retention', () => {
  let fx: GatewayWithKey;
  let gw: GatewayWithKey['gw'];
  let db: pg.Client;
  let admin: string;
  let env: TestEnv;
  let pgProxy: TcpProxy;
  let bullPrefix: string;

  const get = (path: string) => request(gw.url).get(path).set('x-api-key', admin);
  const appendEvents = (events: NewAuditEvent[]) => appendAuditEvents(db, events);
  const resetAudit = () => resetAuditTables(db);

  beforeAll(async () => {
    fx = await startGatewayWithKey({
      // The gateway reaches Postgres through a proxy this suite can cut, to show an outage.
      gatewayEnv: async (suite) => {
        const dbUrl = new URL(suite.database.url);
        pgProxy = await startTcpProxy(dbUrl.hostname, dbUrl.port ? Number(dbUrl.port) : 5432);
        dbUrl.hostname = '127.0.0.1';
        dbUrl.port = String(pgProxy.port);
        return { DATABASE_URL: dbUrl.toString() };
      },
    });
    env = fx.env;
    bullPrefix = fx.bullPrefix;
    ({ gw, db, admin } = fx);
  }, 60_000);

  afterAll(async () => {
    await fx?.stop();
    await pgProxy?.close();
  }, 30_000);

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
      expect(available(after.queues['audit-maintenance']).workers).toBe(1);
      expect(available(after.queues.audit).waiting).toBeGreaterThanOrEqual(3);
      const lag = available(after.audit_lag);
      expect(lag.waiting_jobs).toBeGreaterThanOrEqual(3);
      expect(lag.oldest_waiting_age_ms).toBeGreaterThanOrEqual(1_200);
      expect(lag.oldest_waiting_age_ms).toBeLessThan(30_000);
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
