import {
  ChainKeys,
  firstBrokenLink,
  GENESIS_HASH,
  legacyChainHash,
  pickChained,
  signedAuditEvent,
  type StoredLink,
} from '@gatehouse/audit';
import {
  AUDIT_BATCH_JOB_NAME,
  AUDIT_JOB_NAME,
  type AuditEvent,
  redisOptionsFromUrl,
} from '@gatehouse/queue';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { queuedEvents } from '../../apps/audit/src/ingest/queued-events.js';
import { type SpawnedApp, spawnStandalone, waitFor } from './spawn-app.js';
import { TEST_REDIS_URL } from './test-redis.js';

/** Starts an audit process and waits for its "audit started" line. */
export function spawnAudit(env: Record<string, string>): Promise<SpawnedApp> {
  return spawnStandalone('audit', { ...env, LOG_LEVEL: 'info' });
}

/** Messages between a test and `audit-with-clock`: set the clock, and its acknowledgement. */
export type SetClock = { now: string };
export type ClockSet = { clockSet: string };

export type AuditWithClock = SpawnedApp & {
  /** Sets the time the app's clock reads from now on; resolves once the app has it. */
  setClock(now: Date): Promise<void>;
};

/** Starts the audit app with a clock the test sets (test/support/audit-with-clock.ts). */
export async function spawnAuditWithClock(env: Record<string, string>): Promise<AuditWithClock> {
  const app = await spawnStandalone(
    'audit',
    { ...env, LOG_LEVEL: 'info' },
    { entry: 'dist/test/support/audit-with-clock.js', ipc: true },
  );
  const setClock = (now: Date) =>
    new Promise<void>((resolve, reject) => {
      const message: SetClock = { now: now.toISOString() };
      const onAck = (ack: ClockSet) => {
        if (ack.clockSet !== message.now) return;
        app.child.off('message', onAck);
        resolve();
      };
      app.child.on('message', onAck);
      app.child.send(message, (err) => {
        if (!err) return;
        app.child.off('message', onAck);
        reject(err);
      });
    });
  return { ...app, setClock };
}

/** The `audit` queue as producers see it (BullMQ prefix `{REDIS_KEY_PREFIX}`). */
export function auditQueue(redisPrefix: string, redisUrl = TEST_REDIS_URL): Queue {
  return new Queue('audit', {
    connection: redisOptionsFromUrl(redisUrl),
    prefix: `{${redisPrefix}}`,
  });
}

/**
 * The events waiting on the audit queue (for suites where no audit app runs), in queue order:
 * those of producers' batch jobs and of single-event jobs alike.
 */
export async function queuedAuditEvents(queue: Queue): Promise<AuditEvent[]> {
  const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed'], 0, -1, true);
  // Read as the audit app reads them.
  return jobs.flatMap((job) =>
    queuedEvents(job.name, job.data, job.id ?? null).map((queued) => queued.raw as AuditEvent),
  );
}

export function makeEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    v: 1,
    id: randomUUID(),
    type: 'key.created',
    at: new Date().toISOString(),
    actor: 'admin',
    request: {
      request_id: randomUUID(),
      ip: '127.0.0.1',
      method: 'POST',
      path: '/api/v1/admin/keys',
    },
    data: { n: 1 },
    ...overrides,
  };
}

/**
 * Puts events on the audit queue one job each (job id = event id), as producers did before
 * they sent batch jobs, and as the audit app still accepts: each object signed with `macKey`
 * (the env's AUDIT_EVENT_KEY), or left unsigned when it is undefined.
 */
export async function produce(
  queue: Queue,
  events: readonly unknown[],
  macKey: string | undefined,
): Promise<void> {
  await queue.addBulk(
    events.map((event) => ({
      name: AUDIT_JOB_NAME,
      data: asProduced(event, macKey),
      opts: {
        jobId: (event as { id?: unknown } | null)?.id as string | undefined,
        removeOnComplete: true,
        attempts: 5,
      },
    })),
  );
}

/**
 * Puts events on the audit queue in one batch job, as AuditProducer does (each object signed
 * with `macKey`, or unsigned when it is undefined); `data` replaces the job's data when given.
 * Returns the job's id.
 */
export async function produceBatch(
  queue: Queue,
  events: readonly unknown[],
  macKey: string | undefined,
  data?: unknown,
): Promise<string> {
  const job = await queue.add(
    AUDIT_BATCH_JOB_NAME,
    data ?? { v: 1, events: events.map((event) => asProduced(event, macKey)) },
    { jobId: `batch-${randomUUID()}`, removeOnComplete: true, attempts: 5 },
  );
  return String(job.id);
}

export type StoredRow = StoredLink & {
  bodies: unknown;
  recorded_at: Date;
};

/** A client on the suite's database. */
export async function dbClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

export async function chainRows(db: pg.Client): Promise<StoredRow[]> {
  const res = await db.query<StoredRow>(
    `SELECT seq::text AS seq, event_id, type, at, actor, key_id, request_id, ip, method, path, data,
            bodies, bodies_hash, prev_hash, hash, recorded_at
       FROM audit_events e ORDER BY e.seq`,
  );
  return res.rows;
}

/** Where verification starts: the latest checkpoint's hash, else genesis. */
export async function chainStart(db: pg.Client): Promise<string> {
  const res = await db.query<{ last_deleted_hash: string }>(
    `SELECT last_deleted_hash FROM audit_checkpoints ORDER BY last_deleted_seq DESC, id DESC LIMIT 1`,
  );
  return res.rows[0]?.last_deleted_hash ?? GENESIS_HASH;
}

/**
 * The first broken link over the whole stored chain, as the audit app computes it: keyed links
 * with the suite's AUDIT_CHAIN_KEY, plain SHA-256 up to the chain start marker.
 */
export async function verifyChain(
  db: pg.Client,
  chainKey: string,
): Promise<{ seq: string } | undefined> {
  const keys = new ChainKeys(chainKey);
  const start = await db.query<{ seq: string }>(
    `SELECT legacy_last_seq::text AS seq FROM audit_chain_start`,
  );
  const legacyLast = BigInt(start.rows[0]?.seq ?? '9223372036854775807');
  return firstBrokenLink(await chainRows(db), await chainStart(db), (row, prev) =>
    BigInt(row.seq) <= legacyLast
      ? legacyChainHash(prev, pickChained(row))
      : keys.link(prev, pickChained(row)),
  );
}

export async function countRows(db: pg.Client, table: string, where = 'true'): Promise<number> {
  const res = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
  );
  return res.rows[0]?.n ?? 0;
}

/** Waits until `table` holds at least `n` rows (matching `where`). */
export async function waitForRows(
  db: pg.Client,
  table: string,
  n: number,
  timeoutMs: number,
  where = 'true',
  describe: () => string = () => '',
): Promise<void> {
  let last = 0;
  await waitFor(
    async () => (last = await countRows(db, table, where)) >= n,
    timeoutMs,
    () => `${table}: ${last} of ${n} rows\n${describe()}`,
  );
}

/**
 * The queue's job counts once nothing is waiting, active or delayed any more (jobs are
 * completed just after their batch commits, so rows can be visible a moment earlier).
 */
export async function settledCounts(
  queue: Queue,
  timeoutMs = 10_000,
): Promise<Record<string, number>> {
  let counts: Record<string, number> = {};
  await waitFor(
    async () => {
      counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
      return (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) === 0;
    },
    timeoutMs,
    () => `audit queue not drained: ${JSON.stringify(counts)}`,
  );
  return counts;
}

/** `event` as a producer app holding `macKey` sends it (unchanged when there is no key). */
export function asProduced(event: unknown, macKey: string | undefined): unknown {
  if (macKey === undefined || typeof event !== 'object' || event === null || Array.isArray(event)) {
    return event;
  }
  return signedAuditEvent(macKey, event);
}
