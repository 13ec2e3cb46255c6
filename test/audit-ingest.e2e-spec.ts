import type { AuditEvent } from '@gatehouse/queue';
import type { Queue } from 'bullmq';
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  auditQueue,
  asProduced,
  chainRows,
  countRows,
  dbClient,
  makeEvent,
  produce,
  produceBatch,
  settledCounts,
  spawnAudit,
  verifyChain,
  waitForRows,
} from './support/audit-kit.js';
import type { SpawnedApp } from './support/spawn-app.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const KEYS = [randomUUID(), randomUUID()];
const MODELS = ['model-a', 'model-b'];
const DAY_MS = 86_400_000;

/** A request.completed event; day, key, model, status, tokens and cost vary with `i`. */
function completed(i: number, producer: number): AuditEvent {
  return makeEvent({
    type: 'request.completed',
    actor: 'client',
    key_id: KEYS[i % 2],
    at: new Date(Date.now() - (i % 3) * DAY_MS).toISOString(),
    data: {
      producer,
      i,
      model: MODELS[(i >> 1) % 2],
      status: i % 7 === 0 ? 502 : 200,
      tokens_in: 10 + i,
      tokens_out: 3 * i,
      // µUSD; null when no price applied (counted 0)
      cost_micros: i % 5 === 0 ? null : 1_000 * i + 7,
      latency_ms: 5,
    },
  });
}

function alive(app: SpawnedApp): boolean {
  return app.child.exitCode === null && app.child.signalCode === null;
}

describe('audit ingest: batches, chain, idempotency, dead letters, redaction, usage', () => {
  let env: TestEnv;
  let replicas: SpawnedApp[] = [];
  let queue: Queue;
  let db: pg.Client;
  const customSecret = `corp-${(randomBytes(4).readUInt32BE() % 900_000) + 100_000}`;

  beforeAll(async () => {
    env = await createTestEnv({
      AUDIT_BATCH_SIZE: '64',
      AUDIT_BATCH_WAIT_MS: '30',
      // A JSON array: `{24,}` keeps its comma (a comma-separated list split it in two).
      AUDIT_REDACT_PATTERNS: JSON.stringify([
        'corp-[0-9]{6}',
        'internal-ticket-[a-z]+',
        'tok_[A-Za-z0-9]{24,}',
      ]),
    });
    replicas = await Promise.all([spawnAudit(env.env), spawnAudit(env.env)]);
    queue = auditQueue(env.redisPrefix);
    db = await dbClient(env.database.url);
  }, 45_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await queue?.close();
    await db?.end();
    await env?.cleanup();
  }, 30_000);

  afterEach(() => {
    for (const r of replicas) expect(alive(r)).toBe(true);
  });

  it('stores 600 events from 3 concurrent producers and 2 replicas once each, in one verifiable chain', async () => {
    const perProducer = 200;
    const produced: AuditEvent[][] = [[], [], []];
    await Promise.all(
      produced.map(async (mine, p) => {
        const own = auditQueue(env.redisPrefix);
        try {
          for (let chunk = 0; chunk < perProducer / 20; chunk++) {
            const events = Array.from({ length: 20 }, (_, k) => {
              const i = chunk * 20 + k;
              return i % 2 === 0 ? completed(i, p) : makeEvent({ data: { producer: p, i } });
            });
            mine.push(...events);
            // As the producer apps send them: one batch job per flush (single-event jobs below).
            await produceBatch(own, events, env.env.AUDIT_EVENT_KEY);
            await new Promise((r) => setTimeout(r, 5));
          }
        } finally {
          await own.close();
        }
      }),
    );
    await waitForRows(db, 'audit_events', 600, 30_000);
    // Give a straggler (a duplicate, if there were one) the time to show up.
    await new Promise((r) => setTimeout(r, 300));

    const rows = await chainRows(db);
    expect(rows).toHaveLength(600);
    const ids = new Set(rows.map((r) => r.event_id));
    expect(ids.size).toBe(600);
    for (const e of produced.flat()) expect(ids.has(e.id)).toBe(true);
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
    // Every job was completed (none failed, none left behind).
    expect(await settledCounts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  }, 60_000);

  it('rolls usage up per UTC day, key and model, equal to the stored request.completed events', async () => {
    const events = (await chainRows(db)).filter((r) => r.type === 'request.completed');
    expect(events.length).toBeGreaterThanOrEqual(300);
    const expected = new Map<string, number[]>();
    for (const e of events) {
      const d = e.data as {
        model: string;
        status: number;
        tokens_in: number;
        tokens_out: number;
        cost_micros: number | null;
      };
      const id = `${e.at.slice(0, 10)}|${e.key_id}|${d.model}`;
      const [requests, errors, tokensIn, tokensOut, cost] = expected.get(id) ?? [0, 0, 0, 0, 0];
      expected.set(id, [
        requests + 1,
        errors + (d.status >= 400 ? 1 : 0),
        tokensIn + d.tokens_in,
        tokensOut + d.tokens_out,
        cost + (d.cost_micros ?? 0),
      ]);
    }
    const usage = await db.query<{ id: string; sums: string[] }>(
      `SELECT to_char(day, 'YYYY-MM-DD') || '|' || key_id || '|' || model AS id,
              ARRAY[requests, errors, tokens_in, tokens_out, cost_micros]::text[] AS sums
         FROM usage_daily`,
    );
    const actual = new Map(usage.rows.map((r) => [r.id, r.sums.map(Number)]));
    expect(actual.size).toBeGreaterThan(4); // several days, keys and models
    expect(actual).toEqual(expected);
    expect([...actual.values()].some((sums) => (sums[4] ?? 0) > 0)).toBe(true); // costs were summed

    // A redelivered event (same id) is neither stored nor counted twice.
    const again = events.slice(0, 25).map((r) => ({
      v: 1,
      id: r.event_id,
      type: r.type,
      at: r.at,
      actor: r.actor,
      key_id: r.key_id,
      data: r.data,
    }));
    const marker = makeEvent({ data: { marker: 'after-redelivery' } });
    await produce(queue, [...again, marker], env.env.AUDIT_EVENT_KEY);
    await waitForRows(db, 'audit_events', 1, 15_000, `event_id = '${marker.id}'`);
    await settledCounts(queue); // every redelivered job was handled, not just the marker
    expect(await countRows(db, 'audit_events')).toBe(601);
    const after = await db.query<{ n: string; cost: string }>(
      `SELECT sum(requests)::text AS n, sum(cost_micros)::text AS cost FROM usage_daily`,
    );
    expect(Number(after.rows[0]?.n)).toBe(events.length);
    const cost = [...expected.values()].reduce((t, sums) => t + (sums[4] ?? 0), 0);
    expect(Number(after.rows[0]?.cost)).toBe(cost);
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
  }, 30_000);

  it('reports exactly the tampered row when one row is changed in SQL', async () => {
    const rows = await chainRows(db);
    const victim = rows[Math.floor(rows.length / 2)];
    const original = JSON.stringify(victim.data);
    await db.query(
      `UPDATE audit_events SET data = jsonb_set(data, '{tampered}', 'true') WHERE seq = $1`,
      [victim.seq],
    );
    try {
      expect(await verifyChain(db, env.chainKey)).toEqual(
        expect.objectContaining({ seq: victim.seq }),
      );
    } finally {
      await db.query(`UPDATE audit_events SET data = $2::jsonb WHERE seq = $1`, [
        victim.seq,
        original,
      ]);
    }
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();

    // Changing a hashed column other than data is caught too, at that row.
    const other = rows[3];
    await db.query(`UPDATE audit_events SET actor = 'system' WHERE seq = $1`, [other.seq]);
    try {
      expect((await verifyChain(db, env.chainKey))?.seq).toBe(other.seq);
    } finally {
      await db.query(`UPDATE audit_events SET actor = $2 WHERE seq = $1`, [other.seq, other.actor]);
    }
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
  }, 20_000);

  it('dead-letters malformed events (redacted, jobs completed) without touching the chain', async () => {
    const before = await countRows(db, 'audit_events');
    const leakedKey = `gk_${randomBytes(4).toString('hex')}_${randomBytes(12).toString('hex')}`;
    const badTime = { ...makeEvent({ data: { note: leakedKey } }), at: 'yesterday' };
    const badData = { ...makeEvent(), data: 'not an object' };
    const badVersion = { ...makeEvent(), v: 99 };
    const badKey = makeEvent({ key_id: 'not-a-uuid' });
    const notAnEvent = { id: randomUUID(), hello: env.adminKey };
    const good = makeEvent({ data: { after: 'malformed' } });
    await produce(
      queue,
      [badTime, badData, badVersion, badKey, notAnEvent, good],
      env.env.AUDIT_EVENT_KEY,
    );

    await waitForRows(db, 'audit_dead_letters', 5, 15_000);
    await waitForRows(db, 'audit_events', 1, 15_000, `event_id = '${good.id}'`);
    const letters = await db.query<{ job_id: string; reason: string; payload: unknown }>(
      `SELECT job_id, reason, payload FROM audit_dead_letters`,
    );
    expect(letters.rows).toHaveLength(5);
    const byJob = new Map(letters.rows.map((r) => [r.job_id, r]));
    expect(byJob.get(badTime.id)?.reason).toMatch(/at is not/);
    expect(byJob.get(badData.id)?.reason).toMatch(/data is not/);
    expect(byJob.get(badVersion.id)?.reason).toMatch(/version/);
    expect(byJob.get(badKey.id)?.reason).toMatch(/key_id/);
    expect(byJob.get(notAnEvent.id)?.reason).toMatch(/version|type|id/);
    const dump = JSON.stringify(letters.rows);
    expect(dump).not.toContain(leakedKey);
    expect(dump).not.toContain(env.adminKey);
    expect(dump).toContain('[REDACTED]');

    expect(await countRows(db, 'audit_events')).toBe(before + 1);
    const ids = [badTime, badData, badVersion, badKey, notAnEvent].map((e) => e.id);
    expect(await countRows(db, 'audit_events', `event_id::text = ANY('{${ids.join(',')}}')`)).toBe(
      0,
    );
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
    expect(await settledCounts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  }, 30_000);

  it('dead-letters unsigned, foreign-signed and altered events: writing to Redis is not enough', async () => {
    const before = await countRows(db, 'audit_dead_letters');
    const unsigned = makeEvent({ actor: 'admin', data: { forged: 'unsigned' } });
    const foreign = makeEvent({ actor: 'admin', data: { forged: 'foreign key' } });
    const altered = makeEvent({ actor: 'admin', data: { forged: 'altered' } });
    const good = makeEvent({ data: { signed: true } });
    await produce(queue, [unsigned], undefined);
    await produce(queue, [foreign], randomBytes(32).toString('hex'));
    // Signed with the right key, then changed on the way (as someone with Redis access could).
    const staged = asProduced(altered, env.env.AUDIT_EVENT_KEY) as Record<string, unknown>;
    await produce(queue, [{ ...staged, actor: 'system' }], undefined);
    await produce(queue, [good], env.env.AUDIT_EVENT_KEY);

    await waitForRows(db, 'audit_events', 1, 15_000, `event_id = '${good.id}'`);
    await waitForRows(db, 'audit_dead_letters', before + 3, 15_000);
    const letters = await db.query<{ job_id: string; reason: string }>(
      `SELECT job_id, reason FROM audit_dead_letters WHERE job_id = ANY($1)`,
      [[unsigned.id, foreign.id, altered.id]],
    );
    expect(letters.rows).toHaveLength(3);
    for (const row of letters.rows) expect(row.reason).toMatch(/unsigned or badly signed/);
    const forged = [unsigned, foreign, altered].map((e) => e.id);
    expect(
      await countRows(db, 'audit_events', `event_id::text = ANY('{${forged.join(',')}}')`),
    ).toBe(0);
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
  }, 30_000);

  it("stores a producer batch job's good events and dead-letters its bad ones by their place", async () => {
    const before = await countRows(db, 'audit_dead_letters');
    const good = [makeEvent({ data: { batch: 0 } }), makeEvent({ data: { batch: 2 } })];
    const malformed = { ...makeEvent(), at: 'yesterday' };
    const unsigned = makeEvent({ actor: 'admin', data: { forged: 'in a batch' } });
    const signed = [good[0], malformed, good[1]].map((e) => asProduced(e, env.env.AUDIT_EVENT_KEY));
    const batchId = await produceBatch(queue, [...signed, unsigned], undefined);
    // A batch job that is not one: refused whole, as one dead letter.
    const brokenId = await produceBatch(queue, [], undefined, { v: 1, events: 'none' });

    await waitForRows(db, 'audit_dead_letters', before + 3, 15_000);
    const stored = await countRows(
      db,
      'audit_events',
      `event_id::text = ANY('{${good.map((e) => e.id).join(',')}}')`,
    );
    expect(stored).toBe(2);
    const letters = await db.query<{ job_id: string; reason: string }>(
      `SELECT job_id, reason FROM audit_dead_letters WHERE job_id = ANY($1)`,
      [[`${batchId}#1`, `${batchId}#3`, brokenId]],
    );
    const byJob = new Map(letters.rows.map((r) => [r.job_id, r.reason]));
    expect(byJob.get(`${batchId}#1`)).toMatch(/at is not/);
    expect(byJob.get(`${batchId}#3`)).toMatch(/unsigned or badly signed/);
    expect(byJob.get(brokenId)).toMatch(/not an array/);
    expect(
      await countRows(
        db,
        'audit_events',
        `event_id::text = ANY('{${malformed.id},${unsigned.id}}')`,
      ),
    ).toBe(0);
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
    expect(await settledCounts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  }, 30_000);

  it('redacts keys, tokens, passwords, configured patterns and secret values; drops bodies', async () => {
    const gk = `gk_${randomBytes(4).toString('hex')}_${randomBytes(16).toString('hex')}`;
    const bearer = randomBytes(20).toString('base64url');
    const sk = `sk-ant-${randomBytes(20).toString('hex')}`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const ticket = `internal-ticket-${'abcdefgh'.slice(0, 3 + (randomBytes(1)[0] % 5))}`;
    const token = `tok_${randomBytes(24).toString('hex')}`;
    const event = makeEvent({
      type: 'key.updated',
      key_id: KEYS[0],
      request: {
        request_id: randomUUID(),
        ip: '10.0.0.1',
        method: 'PATCH',
        path: `/api/v1/admin/keys?api_key=${env.adminKey}`,
      },
      data: {
        before: { name: 'old', note: `uses ${gk}` },
        after: { name: 'new', header: `Authorization: Bearer ${bearer}` },
        upstream: { message: `invalid key ${sk}` },
        login: { user: 'ops', password },
        remark: `see ${customSecret} and ${ticket}, then ${token}`,
        pasted: `admin=${env.adminKey};`,
        pepper: env.env.KEY_PEPPER,
        ok: 'plain text stays',
      },
      bodies: { request: { prompt: 'hello' }, response: { text: 'world' } },
    });
    await produce(queue, [event], env.env.AUDIT_EVENT_KEY);
    await waitForRows(db, 'audit_events', 1, 15_000, `event_id = '${event.id}'`);

    const res = await db.query<{ row: string; bodies: unknown; bodies_hash: string | null }>(
      `SELECT e::text AS row, bodies, bodies_hash FROM audit_events e WHERE event_id = $1`,
      [event.id],
    );
    const row = res.rows[0];
    const secrets = [
      gk,
      bearer,
      sk,
      password,
      customSecret,
      ticket,
      token.slice(4),
      env.adminKey,
      env.env.KEY_PEPPER,
    ];
    for (const secret of secrets) expect(row.row).not.toContain(secret);
    expect(row.row).toContain('plain text stays');
    expect(row.row).toContain('[REDACTED]');
    expect(row.bodies).toBeNull();
    expect(row.bodies_hash).toBeNull();

    const all = await db.query<{ dump: string }>(
      `SELECT string_agg(e::text, '') AS dump FROM audit_events e`,
    );
    for (const secret of secrets) expect(all.rows[0]?.dump).not.toContain(secret);
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
    // Nor do the processes print any of it.
    for (const r of replicas)
      for (const secret of secrets) expect(r.output()).not.toContain(secret);
  }, 20_000);
});

describe('audit ingest through a Postgres outage', () => {
  let env: TestEnv;
  let pgProxy: TcpProxy;
  let app: SpawnedApp;
  let queue: Queue;
  let db: pg.Client;

  beforeAll(async () => {
    env = await createTestEnv({ AUDIT_BATCH_SIZE: '25', AUDIT_BATCH_WAIT_MS: '20' });
    const dbUrl = new URL(env.database.url);
    pgProxy = await startTcpProxy(dbUrl.hostname, dbUrl.port ? Number(dbUrl.port) : 5432);
    dbUrl.hostname = '127.0.0.1';
    dbUrl.port = String(pgProxy.port);
    app = await spawnAudit({ ...env.env, DATABASE_URL: dbUrl.toString() });
    queue = auditQueue(env.redisPrefix);
    db = await dbClient(env.database.url); // the test itself reads the real server directly
  }, 45_000);

  afterAll(async () => {
    await app?.stop();
    await pgProxy?.close();
    await queue?.close();
    await db?.end();
    await env?.cleanup();
  }, 30_000);

  it("keeps events queued while Postgres is unreachable and writes all of them once, each job's in order", async () => {
    const seq = (i: number) => makeEvent({ data: { i } });
    // As producers send them: batch jobs of 20 (BullMQ may start concurrent jobs out of order).
    const produceJobs = async (events: AuditEvent[]) => {
      for (let c = 0; c < events.length; c += 20)
        await produceBatch(queue, events.slice(c, c + 20), env.env.AUDIT_EVENT_KEY);
    };
    const first = Array.from({ length: 60 }, (_, i) => seq(i));
    await produceJobs(first);
    await waitForRows(db, 'audit_events', 60, 15_000, 'true', app.output);
    await settledCounts(queue);

    pgProxy.cut();
    const during = Array.from({ length: 240 }, (_, k) => seq(60 + k));
    for (let c = 0; c < during.length; c += 40) {
      await produceJobs(during.slice(c, c + 40));
      await new Promise((r) => setTimeout(r, 150));
    }
    await new Promise((r) => setTimeout(r, 1_500));
    // Nothing was written or completed while it was down, and nothing failed.
    expect(await countRows(db, 'audit_events')).toBe(60);
    const held = await queue.getJobCounts('waiting', 'active', 'failed', 'completed', 'delayed');
    expect(held.failed).toBe(0);
    expect(held.waiting + held.active + held.delayed).toBe(240 / 20);
    expect(alive(app)).toBe(true);

    pgProxy.restore();
    await waitForRows(db, 'audit_events', 300, 30_000, 'true', app.output);
    await new Promise((r) => setTimeout(r, 300));

    const rows = await chainRows(db);
    expect(rows).toHaveLength(300);
    const stored = rows.map((r) => (r.data as { i: number }).i);
    expect([...stored].sort((a, b) => a - b)).toEqual([...Array(300).keys()]);
    for (let job = 0; job < 300 / 20; job++) {
      const mine = stored.filter((i) => Math.floor(i / 20) === job);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(300);
    expect(await verifyChain(db, env.chainKey)).toBeUndefined();
    expect(await settledCounts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    expect(alive(app)).toBe(true);
    expect(app.output()).toMatch(/Postgres reachable again/);
  }, 60_000);
});
