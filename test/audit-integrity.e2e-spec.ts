import { legacyChainHash, pickChained, GENESIS_HASH, type ChainedFields } from '@gatehouse/audit';
import {
  QueueName,
  RETENTION_JOB_NAME,
  type RetentionSummary,
  type SignedHead,
  type VerifyResult,
  redisOptionsFromUrl,
} from '@gatehouse/queue';
import { Queue, QueueEvents } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import request from 'supertest';
import {
  auditQueue,
  chainRows,
  countRows,
  dbClient,
  makeEvent,
  produce,
  settledCounts,
  spawnAudit,
  spawnAuditWithClock,
  type AuditWithClock,
  waitForRows,
} from './support/audit-kit.js';
import { clientAs, migrateAsOwner, roleUrl, sqlState } from './support/db-roles.js';
import { type SpawnedApp, spawnApp, spawnGateway } from './support/spawn-app.js';
import { createTestEnv, randomSecret, type TestEnv } from './support/test-env.js';
import { TEST_REDIS_URL } from './support/test-redis.js';

const DAY_MS = 86_400_000;
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * The audit trail against someone who can run code in the gateway or the worker (their database
 * roles) or who can write the database but does not hold AUDIT_CHAIN_KEY: rows cannot be changed
 * or deleted by those roles, a rewritten chain does not verify, a forged checkpoint or chain
 * start is caught, a cut-off tail shows against a signed head, and retention (the one way rows
 * leave) still works, through its SECURITY DEFINER function, with the audit app on its own role.
 */
describe('audit trail integrity: per-app roles, HMAC chain, checkpoints, signed heads', () => {
  let env: TestEnv;
  let audit: AuditWithClock;
  let gw: SpawnedApp & { url: string };
  let queue: Queue;
  let maintenance: Queue;
  let maintenanceEvents: QueueEvents;
  let owner: pg.Client;

  const admin = (path: string) => request(gw.url).get(path).set('x-api-key', env.adminKey);
  const verify = async (query = ''): Promise<VerifyResult> =>
    (await admin(`/api/v1/admin/audit/verify${query}`).expect(200)).body as VerifyResult;

  async function runRetention(now: Date): Promise<RetentionSummary> {
    await audit.setClock(now);
    const job = await maintenance.add(RETENTION_JOB_NAME, { trigger: 'schedule' });
    return (await job.waitUntilFinished(maintenanceEvents, 20_000)) as RetentionSummary;
  }

  async function store(n: number, tag: string): Promise<string[]> {
    const events = Array.from({ length: n }, (_, i) => makeEvent({ data: { tag, i } }));
    await produce(queue, events, env.env.AUDIT_EVENT_KEY);
    const ids = events.map((e) => e.id);
    await waitForRows(
      owner,
      'audit_events',
      n,
      20_000,
      `event_id::text = ANY('{${ids.join(',')}}')`,
    );
    await settledCounts(queue);
    return ids;
  }

  /** What someone with write access but no chain key can do: relink from `seq` with SHA-256. */
  async function rewriteFrom(seq: string, change: (f: ChainedFields) => ChainedFields) {
    const rows = (await chainRows(owner)).filter((r) => BigInt(r.seq) >= BigInt(seq));
    let prev = rows[0]?.prev_hash ?? GENESIS_HASH;
    for (const [i, row] of rows.entries()) {
      const fields = i === 0 ? change(pickChained(row)) : pickChained(row);
      const hash = legacyChainHash(prev, fields);
      await owner.query(
        `UPDATE audit_events SET data = $2::jsonb, prev_hash = $3, hash = $4 WHERE seq = $1`,
        [row.seq, JSON.stringify(fields.data), prev, hash],
      );
      prev = hash;
    }
  }

  beforeAll(async () => {
    env = await createTestEnv({ AUDIT_BATCH_WAIT_MS: '20' });
    // As compose: the owner migrates and grants; each app then connects as its own role.
    await migrateAsOwner(env.env);
    const url = env.database.url;
    [audit, gw] = await Promise.all([
      spawnAuditWithClock({
        ...env.env,
        DATABASE_URL: roleUrl(url, 'audit'),
        DB_RUN_MIGRATIONS: 'false',
      }),
      spawnGateway({
        ...env.env,
        DATABASE_URL: roleUrl(url, 'gateway'),
        DB_RUN_MIGRATIONS: 'false',
      }),
    ]);
    queue = auditQueue(env.redisPrefix);
    const connection = redisOptionsFromUrl(TEST_REDIS_URL);
    const prefix = `{${env.redisPrefix}}`;
    maintenance = new Queue(QueueName.auditMaintenance, { connection, prefix });
    maintenanceEvents = new QueueEvents(QueueName.auditMaintenance, { connection, prefix });
    await maintenanceEvents.waitUntilReady();
    owner = await dbClient(url);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([audit?.stop(), gw?.stop()]);
    await maintenanceEvents?.close();
    await maintenance?.close();
    await queue?.close();
    await owner?.end();
    await env?.cleanup();
  }, 30_000);

  afterEach(() => {
    for (const app of [audit, gw]) {
      expect(app.child.exitCode === null && app.child.signalCode === null).toBe(true);
    }
  });

  it('gives the gateway and worker roles no way to change audit rows, and the audit role only INSERT', async () => {
    await store(3, 'privileges');
    const [first] = await chainRows(owner);
    const statements = [
      `UPDATE audit_events SET data = '{}' WHERE seq = ${first.seq}`,
      `DELETE FROM audit_events WHERE seq = ${first.seq}`,
      `TRUNCATE audit_events`,
      `UPDATE audit_checkpoints SET deleted_count = 0`,
      `DELETE FROM audit_checkpoints`,
      `DELETE FROM audit_chain_start`,
      `SELECT * FROM audit_apply_retention(now() + interval '1000 days', now())`,
    ];
    for (const app of ['gateway', 'proxy-worker', 'audit'] as const) {
      const client = await clientAs(env.database.url, app);
      try {
        for (const sql of statements) {
          // The audit role may call the retention function (tested below through the app).
          if (app === 'audit' && sql.includes('audit_apply_retention')) continue;
          expect([app, sql, await sqlState(client, sql)]).toEqual([
            app,
            sql,
            INSUFFICIENT_PRIVILEGE,
          ]);
        }
        for (const table of ['audit_events', 'audit_checkpoints']) {
          const insert = `INSERT INTO ${table} SELECT * FROM ${table} LIMIT 0`;
          const expected =
            app === 'audit' && table === 'audit_events' ? 'ok' : INSUFFICIENT_PRIVILEGE;
          expect([app, insert, await sqlState(client, insert)]).toEqual([app, insert, expected]);
        }
      } finally {
        await client.end();
      }
    }
    expect(await countRows(owner, 'audit_events')).toBeGreaterThanOrEqual(3);
  });

  it('verifies the keyed chain, and catches a row relinked with SHA-256 by someone without the key', async () => {
    await store(20, 'relink');
    const good = await verify();
    expect(good).toMatchObject({ ok: true, problem: null, legacy_checked: 0 });
    const rows = await chainRows(owner);
    expect(good.checked).toBe(rows.length);
    expect(good.last_seq).toBe(rows.at(-1)?.seq);

    // The old attack: change a row and recompute every link after it with plain SHA-256.
    const victim = rows[rows.length - 5];
    const saved = rows.filter((r) => BigInt(r.seq) >= BigInt(victim.seq));
    await rewriteFrom(victim.seq, (f) => ({ ...f, data: { forged: true } }));
    expect(await verify()).toMatchObject({
      ok: false,
      problem: 'broken_link',
      first_broken_seq: victim.seq,
      first_broken_event_id: victim.event_id,
    });
    for (const r of saved) {
      await owner.query(
        `UPDATE audit_events SET data = $2::jsonb, prev_hash = $3, hash = $4 WHERE seq = $1`,
        [r.seq, JSON.stringify(r.data), r.prev_hash, r.hash],
      );
    }
    expect(await verify()).toMatchObject({ ok: true });
  }, 60_000);

  it('finds a change deep in a chain longer than one verification page', async () => {
    await store(5_200, 'pages');
    const rows = await chainRows(owner);
    expect((await verify()).checked).toBe(rows.length);
    const victim = rows[rows.length - 40];
    await owner.query(`UPDATE audit_events SET type = 'key.revoked' WHERE seq = $1`, [victim.seq]);
    expect(await verify()).toMatchObject({ ok: false, first_broken_seq: victim.seq });
    await owner.query(`UPDATE audit_events SET type = $2 WHERE seq = $1`, [
      victim.seq,
      victim.type,
    ]);
    expect(await verify()).toMatchObject({ ok: true, checked: rows.length });
  }, 90_000);

  it('signs the head, and reports a tail cut off after it was stored', async () => {
    const res = await admin('/api/v1/admin/audit/head').expect(200);
    const head = res.body as SignedHead;
    const last = (await chainRows(owner)).at(-1);
    expect(head).toMatchObject({ seq: last?.seq, hash: last?.hash });
    expect(head.token).toMatch(/^ah1\./);

    await store(5, 'after-head');
    const fine = await verify(`?expect_head=${head.token}`);
    expect(fine).toMatchObject({ ok: true, expected_head: { seq: head.seq, status: 'present' } });

    // A forged head (another seq, same MAC) is not accepted as one the audit app signed.
    const forged = head.token.replace(`.${head.seq}.`, `.${BigInt(head.seq) + 3n}.`);
    expect(await verify(`?expect_head=${forged}`)).toMatchObject({
      ok: false,
      problem: 'head_unverifiable',
    });
    await admin('/api/v1/admin/audit/verify?expect_head=nonsense').expect(400);

    // Delete the newest rows, head included: the chain alone still links up...
    const saved = (await chainRows(owner)).filter((r) => BigInt(r.seq) >= BigInt(head.seq));
    await owner.query(`DELETE FROM audit_events WHERE seq >= $1`, [head.seq]);
    expect(await verify()).toMatchObject({ ok: true });
    // ...but not against the head stored elsewhere.
    expect(await verify(`?expect_head=${head.token}`)).toMatchObject({
      ok: false,
      problem: 'head_missing',
      expected_head: { seq: head.seq, status: 'missing' },
    });
    await owner.query(
      `INSERT INTO audit_events (seq, event_id, type, at, recorded_at, actor, key_id, request_id, ip,
                                 method, path, data, bodies, bodies_hash, prev_hash, hash)
       SELECT seq, event_id, type, at, recorded_at, actor, key_id, request_id, ip, method, path, data,
              bodies, bodies_hash, prev_hash, hash
         FROM jsonb_populate_recordset(NULL::audit_events, $1::jsonb)`,
      [JSON.stringify(saved.map((r) => ({ ...r, data: r.data })))],
    );
    expect(await verify(`?expect_head=${head.token}`)).toMatchObject({ ok: true });
  }, 60_000);

  it('applies retention through its function as the audit role, checkpoint vouched for by its event', async () => {
    const before = await chainRows(owner);
    const summary = await runRetention(new Date(Date.now() + 1_000 * DAY_MS));
    expect(summary.deleted_events).toBe(before.length);
    expect(summary.checkpoint).toEqual({
      last_deleted_seq: before.at(-1)?.seq,
      last_deleted_hash: before.at(-1)?.hash,
    });
    const result = await verify();
    expect(result).toMatchObject({
      ok: true,
      checked: 1, // the retention.run event itself
      from_checkpoint: {
        last_deleted_seq: before.at(-1)?.seq,
        deleted_count: String(before.length),
      },
    });

    // A head stored before retention: its row is gone, legitimately, behind a checkpoint.
    const head = (await admin('/api/v1/admin/audit/head').expect(200)).body as SignedHead;
    await store(3, 'after-retention');
    const ids = await store(2, 'to-forge');
    expect((await verify(`?expect_head=${head.token}`)).ok).toBe(true);

    // Someone with write access deletes the newest rows and fakes a checkpoint to cover them:
    // no retention.run event in the chain records that checkpoint.
    const rows = await chainRows(owner);
    const cut = rows.find((r) => r.event_id === ids[0]);
    await owner.query(`DELETE FROM audit_events WHERE seq <= $1`, [cut?.seq]);
    await owner.query(
      `INSERT INTO audit_checkpoints (last_deleted_seq, last_deleted_hash, deleted_count) VALUES ($1, $2, 1)`,
      [cut?.seq, cut?.hash],
    );
    expect(await verify()).toMatchObject({ ok: false, problem: 'checkpoint_unmatched' });
  }, 60_000);

  it('does not store again an event that retention deleted when it is delivered again', async () => {
    const event = makeEvent({ data: { redelivered: true } });
    await produce(queue, [event], env.env.AUDIT_EVENT_KEY);
    await waitForRows(owner, 'audit_events', 1, 15_000, `event_id = '${event.id}'`);
    await settledCounts(queue);
    await owner.query(`DELETE FROM audit_checkpoints`); // undo the forgery of the last test
    await runRetention(new Date(Date.now() + 1_000 * DAY_MS));
    expect(await countRows(owner, 'audit_events', `event_id = '${event.id}'`)).toBe(0);

    // The same job again, as after a crash between commit and completion.
    const marker = makeEvent({ data: { marker: true } });
    await produce(queue, [event, marker], env.env.AUDIT_EVENT_KEY);
    await waitForRows(owner, 'audit_events', 1, 15_000, `event_id = '${marker.id}'`);
    await settledCounts(queue);
    expect(await countRows(owner, 'audit_events', `event_id = '${event.id}'`)).toBe(0);
    expect(await verify()).toMatchObject({ ok: true });
  }, 60_000);
});

describe('upgrading a chain written before AUDIT_CHAIN_KEY', () => {
  let env: TestEnv;
  let audit: SpawnedApp | undefined;
  let gw: SpawnedApp & { url: string };
  let owner: pg.Client;
  let queue: Queue;

  beforeAll(async () => {
    env = await createTestEnv({ AUDIT_BATCH_WAIT_MS: '20' });
    await migrateAsOwner(env.env);
    owner = await dbClient(env.database.url);
    gw = await spawnGateway({
      ...env.env,
      DATABASE_URL: roleUrl(env.database.url, 'gateway'),
      DB_RUN_MIGRATIONS: 'false',
    });
    queue = auditQueue(env.redisPrefix);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([audit?.stop(), gw?.stop()]);
    await queue?.close();
    await owner?.end();
    await env?.cleanup();
  }, 30_000);

  it('verifies the old SHA-256 rows as legacy, continues with keyed links, and guards the line between', async () => {
    // Rows as an earlier version wrote them: plain SHA-256 links from genesis.
    let prev = GENESIS_HASH;
    for (let i = 0; i < 10; i += 1) {
      const fields: ChainedFields = {
        event_id: randomUUID(),
        type: 'key.created',
        at: new Date().toISOString(),
        actor: 'admin',
        key_id: null,
        request_id: null,
        ip: null,
        method: null,
        path: null,
        data: { legacy: i },
        bodies_hash: null,
      };
      const hash = legacyChainHash(prev, fields);
      await owner.query(
        `INSERT INTO audit_events (event_id, type, at, actor, data, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          fields.event_id,
          fields.type,
          fields.at,
          fields.actor,
          JSON.stringify(fields.data),
          prev,
          hash,
        ],
      );
      prev = hash;
    }
    audit = await spawnAudit({
      ...env.env,
      DATABASE_URL: roleUrl(env.database.url, 'audit'),
      DB_RUN_MIGRATIONS: 'false',
    });
    const events = Array.from({ length: 5 }, (_, i) => makeEvent({ data: { keyed: i } }));
    await produce(queue, events, env.env.AUDIT_EVENT_KEY);
    await waitForRows(owner, 'audit_events', 15, 20_000);

    const admin = (path: string) => request(gw.url).get(path).set('x-api-key', env.adminKey);
    const res = (await admin('/api/v1/admin/audit/verify').expect(200)).body as VerifyResult;
    expect(res).toMatchObject({ ok: true, checked: 15, legacy_checked: 10 });
    const start = await owner.query<{ seq: string }>(
      `SELECT legacy_last_seq::text AS seq FROM audit_chain_start`,
    );
    const rows = await chainRows(owner);
    expect(start.rows[0]?.seq).toBe(rows[9]?.seq);

    // Moving the line (so keyed rows could be relinked with SHA-256) needs the key.
    await owner.query(`UPDATE audit_chain_start SET legacy_last_seq = $1`, [rows[14]?.seq]);
    expect(
      ((await admin('/api/v1/admin/audit/verify').expect(200)).body as VerifyResult).problem,
    ).toBe('chain_start_invalid');
  }, 60_000);
});

describe('the audit app holds only its own secret in production', () => {
  it.each(['ADMIN_API_KEY', 'KEY_PEPPER'])(
    'refuses to start with %s',
    async (name) => {
      const env = await createTestEnv({
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        AUDIT_CHAIN_KEY: randomSecret(),
      });
      try {
        const value = randomSecret();
        const own = Object.fromEntries(
          Object.entries(env.env).filter(
            ([k]) => !['ADMIN_API_KEY', 'KEY_PEPPER', 'PII_VAULT_KEY'].includes(k),
          ),
        );
        const app = spawnApp('audit', { ...own, [name]: value });
        const code = await app.exited;
        expect(code).toBe(78);
        expect(app.output()).toContain(`${name} is not used by audit`);
        expect(app.output()).not.toContain(value);

        // Without the gateway's secrets it starts.
        const ok = await spawnAudit(own);
        await ok.stop();
      } finally {
        await env.cleanup();
      }
    },
    45_000,
  );
});
