import { bodiesHash } from '@gatehouse/audit';
import {
  QueueName,
  RETENTION_JOB_NAME,
  RETENTION_SCHEDULER_ID,
  type RetentionSummary,
  redisOptionsFromUrl,
} from '@gatehouse/queue';
import { Queue, QueueEvents } from 'bullmq';
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  auditQueue,
  chainRows,
  chainStart,
  countRows,
  dbClient,
  makeEvent,
  produce,
  spawnAuditWithClock,
  type AuditWithClock,
  verifyChain,
  waitForRows,
} from './support/audit-kit.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

const DAY_MS = 86_400_000;
const BODY_MAX = 512;

describe('audit bodies and retention (fake clock)', () => {
  let env: TestEnv;
  let app: AuditWithClock;
  let audit: Queue;
  let maintenance: Queue;
  let maintenanceEvents: QueueEvents;
  let db: pg.Client;

  /** Runs retention now, as the gateway's on-demand route does, with the app's clock set to `now`. */
  async function runRetention(now: Date): Promise<RetentionSummary> {
    await app.setClock(now);
    const job = await maintenance.add(RETENTION_JOB_NAME, { trigger: 'schedule' });
    return (await job.waitUntilFinished(maintenanceEvents, 20_000)) as RetentionSummary;
  }

  /** Stores `n` events with bodies and returns their ids once all are in the table. */
  async function storeWithBodies(n: number, group: string): Promise<string[]> {
    const events = Array.from({ length: n }, (_, i) =>
      makeEvent({ data: { group, i }, bodies: { request: { group, i }, response: { ok: true } } }),
    );
    await produce(audit, events, env.env.AUDIT_EVENT_KEY);
    const ids = events.map((e) => e.id);
    await waitForRows(db, 'audit_events', n, 15_000, `event_id::text = ANY('{${ids.join(',')}}')`);
    return ids;
  }

  async function recordedAt(ids: string[], agg: 'min' | 'max'): Promise<number> {
    const res = await db.query<{ t: Date }>(
      `SELECT ${agg}(recorded_at) AS t FROM audit_events WHERE event_id::text = ANY($1)`,
      [ids],
    );
    return res.rows[0].t.getTime();
  }

  async function insertJob(expiresAt: Date | null): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO jobs (id, key_id, endpoint, model, status, request_hash, expires_at)
       VALUES ($1, $2, 'messages', 'm', 'completed', $3, $4)`,
      [id, randomUUID(), randomBytes(32).toString('hex'), expiresAt],
    );
    return id;
  }

  beforeAll(async () => {
    env = await createTestEnv({
      AUDIT_CAPTURE_BODIES: 'true',
      AUDIT_BODY_MAX_BYTES: String(BODY_MAX),
      AUDIT_RETENTION_DAYS: '90',
      AUDIT_BODY_RETENTION_DAYS: '7',
      AUDIT_RETENTION_CRON: '17 3 * * *',
      AUDIT_BATCH_WAIT_MS: '20',
    });
    app = await spawnAuditWithClock(env.env);
    const connection = redisOptionsFromUrl(TEST_REDIS_URL);
    const prefix = `{${env.redisPrefix}}`;
    audit = auditQueue(env.redisPrefix);
    maintenance = new Queue(QueueName.auditMaintenance, { connection, prefix });
    maintenanceEvents = new QueueEvents(QueueName.auditMaintenance, { connection, prefix });
    await maintenanceEvents.waitUntilReady();
    db = await dbClient(env.database.url);
  }, 45_000);

  afterAll(async () => {
    await app?.stop();
    await maintenanceEvents?.close();
    await maintenance?.close();
    await audit?.close();
    await db?.end();
    await env?.cleanup();
  }, 30_000);

  afterEach(() => {
    expect(app.child.exitCode === null && app.child.signalCode === null).toBe(true);
  });

  it('stores bodies with AUDIT_CAPTURE_BODIES=true, redacted and capped, hashed into the chain', async () => {
    const token = randomBytes(24).toString('base64url');
    const small = makeEvent({
      bodies: {
        request: { headers: { authorization: `Bearer ${token}` }, prompt: 'hi' },
        response: { text: 'yo' },
      },
    });
    const big = makeEvent({
      bodies: {
        request: { prompt: 'x'.repeat(5_000), note: `Bearer ${token}` },
        response: { text: 'é'.repeat(2_000) },
      },
    });
    await produce(audit, [small, big], env.env.AUDIT_EVENT_KEY);
    await waitForRows(db, 'audit_events', 2, 15_000);

    const res = await db.query<{
      event_id: string;
      bodies: Record<string, unknown>;
      bodies_hash: string;
    }>(`SELECT event_id, bodies, bodies_hash FROM audit_events`);
    const byId = new Map(res.rows.map((r) => [r.event_id, r]));
    const storedSmall = byId.get(small.id)!;
    expect(storedSmall.bodies).toEqual({
      request: { headers: { authorization: '[REDACTED]' }, prompt: 'hi' },
      response: { text: 'yo' },
    });
    expect(storedSmall.bodies_hash).toBe(bodiesHash(storedSmall.bodies));

    const storedBig = byId.get(big.id)!;
    expect(storedBig.bodies).toMatchObject({ truncated: true });
    expect(Buffer.byteLength(JSON.stringify(storedBig.bodies))).toBeLessThanOrEqual(BODY_MAX);
    expect(Buffer.byteLength(JSON.stringify(storedBig.bodies))).toBeGreaterThan(BODY_MAX / 2);
    expect(storedBig.bodies_hash).toBe(bodiesHash(storedBig.bodies));
    expect(JSON.stringify(res.rows)).not.toContain(token);
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
  }, 20_000);

  it('keeps one retention schedule on audit-maintenance with the configured cron in UTC', async () => {
    const schedulers = await maintenance.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({
      key: RETENTION_SCHEDULER_ID,
      name: RETENTION_JOB_NAME,
      pattern: '17 3 * * *',
      tz: 'UTC',
    });
  });

  it('drops old bodies, then old events as a prefix with a checkpoint, and the chain still verifies', async () => {
    const groupA = await storeWithBodies(20, 'A');
    await new Promise((r) => setTimeout(r, 300));
    const groupB = await storeWithBodies(20, 'B');
    const endA = await recordedAt(groupA, 'max');
    const startB = await recordedAt(groupB, 'min');
    expect(startB).toBeGreaterThan(endA);
    const mid = (endA + startB) / 2;

    const expiredSoon = await insertJob(new Date(mid + 1 * DAY_MS));
    const expiredLater = await insertJob(new Date(mid + 30 * DAY_MS));
    const farFuture = await insertJob(new Date(mid + 1_000 * DAY_MS));
    const neverExpires = await insertJob(null);

    // Run 1, 7 days on: A's bodies (and the first test's) go, nothing else does.
    const bodiesBeforeMid = await countRows(
      db,
      'audit_events',
      `bodies IS NOT NULL AND recorded_at < to_timestamp(${mid / 1000})`,
    );
    const hashesBefore = new Map((await chainRows(db)).map((r) => [r.event_id, r.bodies_hash]));
    const total = await countRows(db, 'audit_events');
    const first = await runRetention(new Date(mid + 7 * DAY_MS));
    expect(first).toEqual({
      deleted_events: 0,
      deleted_bodies: bodiesBeforeMid,
      deleted_job_results: 1,
      checkpoint: null,
      ran_at: new Date(mid + 7 * DAY_MS).toISOString(),
    });
    expect(bodiesBeforeMid).toBeGreaterThanOrEqual(20);
    let rows = await chainRows(db);
    expect(rows).toHaveLength(total + 1); // + the retention.run event
    for (const r of rows.filter((r) => groupA.includes(r.event_id))) {
      expect(r.bodies).toBeNull();
      expect(r.bodies_hash).toBe(hashesBefore.get(r.event_id)); // still hashed into the chain
      expect(r.bodies_hash).not.toBeNull();
    }
    for (const r of rows.filter((r) => groupB.includes(r.event_id)))
      expect(r.bodies).not.toBeNull();
    const run1 = rows.at(-1)!;
    expect(run1).toMatchObject({ type: 'retention.run', actor: 'system', data: first });
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
    expect(await countRows(db, 'jobs', `id = '${expiredSoon}'`)).toBe(0);
    expect(await countRows(db, 'jobs')).toBe(3);

    // One row inside the old prefix looks recent: it goes anyway, or the chain would have a hole.
    const lastA = rows.filter((r) => groupA.includes(r.event_id)).at(-1)!;
    const recentInPrefix = rows.find((r) => groupA.includes(r.event_id) && r !== lastA)!;
    await db.query(
      `UPDATE audit_events SET recorded_at = now() + interval '1 hour' WHERE seq = $1`,
      [recentInPrefix.seq],
    );

    // Run 2, 90 days on: everything up to A's last event goes, with a checkpoint; B's bodies go.
    const prefixSize = rows.filter((r) => BigInt(r.seq) <= BigInt(lastA.seq)).length;
    const second = await runRetention(new Date(mid + 90 * DAY_MS));
    expect(second).toEqual({
      deleted_events: prefixSize,
      deleted_bodies: 20,
      deleted_job_results: 1,
      checkpoint: { last_deleted_seq: lastA.seq, last_deleted_hash: lastA.hash },
      ran_at: new Date(mid + 90 * DAY_MS).toISOString(),
    });
    const checkpoints = await db.query<{
      last_deleted_seq: string;
      last_deleted_hash: string;
      deleted_count: string;
    }>(
      `SELECT last_deleted_seq::text, last_deleted_hash, deleted_count::text FROM audit_checkpoints`,
    );
    expect(checkpoints.rows).toEqual([
      {
        last_deleted_seq: lastA.seq,
        last_deleted_hash: lastA.hash,
        deleted_count: String(prefixSize),
      },
    ]);
    rows = await chainRows(db);
    expect(rows.some((r) => groupA.includes(r.event_id))).toBe(false);
    expect(rows.filter((r) => groupB.includes(r.event_id))).toHaveLength(20);
    expect(rows[0].prev_hash).toBe(lastA.hash);
    expect(await chainStart(db)).toBe(lastA.hash);
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
    expect(rows.at(-1)).toMatchObject({ type: 'retention.run', data: second });
    expect(await countRows(db, 'jobs', `id = '${expiredLater}'`)).toBe(0);
    expect(await countRows(db, 'jobs', `id IN ('${farFuture}', '${neverExpires}')`)).toBe(2);

    // Tampering after retention is still caught, at that row.
    const victim = rows[5];
    await db.query(`UPDATE audit_events SET type = 'key.revoked' WHERE seq = $1`, [victim.seq]);
    expect((await verifyChain(db, env.chainKey))?.seq).toBe(victim.seq);
    await db.query(`UPDATE audit_events SET type = $2 WHERE seq = $1`, [victim.seq, victim.type]);
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
  }, 60_000);

  it('deletes the whole chain when all of it is old, and new events link to the checkpoint', async () => {
    const last = (await chainRows(db)).at(-1)!;
    const summary = await runRetention(new Date(Date.now() + 1_000 * DAY_MS));
    expect(summary.checkpoint).toEqual({
      last_deleted_seq: last.seq,
      last_deleted_hash: last.hash,
    });
    expect(summary.deleted_job_results).toBe(1);

    // Only this run's own record is left, linked to the checkpoint.
    let rows = await chainRows(db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'retention.run', prev_hash: last.hash });
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();

    const next = makeEvent({ data: { after: 'everything' } });
    await produce(audit, [next], env.env.AUDIT_EVENT_KEY);
    await waitForRows(db, 'audit_events', 2, 15_000);
    rows = await chainRows(db);
    expect(rows[1]).toMatchObject({ event_id: next.id, prev_hash: rows[0].hash });
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
    expect(app.output()).not.toContain(env.adminKey);
  }, 30_000);
});
