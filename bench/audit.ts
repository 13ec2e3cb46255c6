/**
 * The audit line's tools, all in the bench process: a producer that fills the `audit` queue with
 * realistic request.completed events (as proxy-worker's AuditProducer queues them), and probes
 * of the queue's backlog and of the audit_events table.
 */
import { signedAuditEvent } from '@gatehouse/audit';
import {
  AUDIT_EVENT_VERSION,
  auditBatchJob,
  type AuditEvent,
  type AuditEventBatch,
  auditJobBatches,
  bullPrefix,
  QueueName,
} from '@gatehouse/queue';
import { Queue } from 'bullmq';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export type AuditQueue = {
  queue: Queue<AuditEventBatch>;
  /** Jobs (of up to AUDIT_EVENTS_PER_JOB events) not yet written: waiting plus active (the
   * audit app holds a batch's jobs active). */
  backlog(): Promise<number>;
  close(): Promise<void>;
};

export async function openAuditQueue(redisUrl: string, prefix: string): Promise<AuditQueue> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<AuditEventBatch>(QueueName.audit, {
    connection,
    prefix: bullPrefix(prefix),
  });
  await queue.waitUntilReady();
  return {
    queue,
    backlog: async () => {
      const counts = await queue.getJobCounts('waiting', 'active');
      return (counts.waiting ?? 0) + (counts.active ?? 0);
    },
    close: async () => {
      await queue.close();
      connection.disconnect();
    },
  };
}

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4'] as const;
const KEY_IDS = Array.from({ length: 16 }, () => randomUUID());
const ACCOUNT_IDS = Array.from({ length: 4 }, () => randomUUID());

/** A gateway client key (the shape the redactor knows), fresh each time. */
function gatewayKey(): string {
  const tail = randomBytes(24).toString('base64url').replace(/[-_]/g, 'a');
  return `gk_${randomBytes(4).toString('hex')}_${tail}`;
}

/**
 * One request.completed event as proxy-worker emits it (same data fields), plus a free-text
 * field carrying a client key, which the audit app's redactor has to find and scrub. Spread
 * over 16 keys, 3 models and a few statuses, so the usage rollups see several rows per batch.
 */
export function requestCompletedEvent(i: number): AuditEvent {
  const status = i % 50 === 0 ? 429 : i % 97 === 0 ? 502 : 200;
  const tokensIn = 20 + ((i * 7919) % 2000);
  return {
    v: AUDIT_EVENT_VERSION,
    id: randomUUID(),
    type: 'request.completed',
    at: new Date().toISOString(),
    actor: 'client',
    key_id: KEY_IDS[i % KEY_IDS.length],
    request: {
      request_id: randomUUID(),
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      method: 'POST',
      path: '/v1/chat/completions',
    },
    data: {
      endpoint: 'chat.completions',
      model: MODELS[i % MODELS.length],
      stream: i % 3 === 0,
      account_id: ACCOUNT_IDS[i % ACCOUNT_IDS.length],
      status,
      cancelled: false,
      attempts: status === 200 ? 1 : 2,
      latency_ms: 40 + ((i * 104_729) % 3000),
      tokens_in: tokensIn,
      tokens_out: status === 200 ? 1 + ((i * 31) % 800) : 0,
      note: `client sent its key in the prompt: ${gatewayKey()}`,
    },
  };
}

/**
 * Adds `count` events with `Queue.addBulk`, `chunk` events per call, in jobs of
 * AUDIT_EVENTS_PER_JOB events each signed with `macKey`, as a producer app's full flushes are
 * (the audit app dead-letters unsigned events); returns the seconds it took.
 */
export async function fillAuditQueue(
  audit: AuditQueue,
  count: number,
  macKey: string,
  chunk = 1_000,
): Promise<number> {
  const start = performance.now();
  for (let done = 0; done < count; done += chunk) {
    const n = Math.min(chunk, count - done);
    const events = Array.from({ length: n }, (_, k) =>
      signedAuditEvent(macKey, requestCompletedEvent(done + k)),
    );
    const jobs = auditJobBatches(events).map(auditBatchJob);
    await audit.queue.addBulk(jobs);
  }
  return (performance.now() - start) / 1000;
}

export type AuditTable = {
  rows(): Promise<number>;
  /** Stored rows whose data still contains a gateway key (should be none). */
  unredacted(): Promise<number>;
  deadLetters(): Promise<number>;
  close(): Promise<void>;
};

export async function openAuditTable(databaseUrl: string): Promise<AuditTable> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const single = async (sql: string): Promise<number> => {
    const res = await client.query<{ n: string }>(sql);
    return Number(res.rows[0]?.n ?? Number.NaN);
  };
  return {
    rows: () => single('SELECT count(*) AS n FROM audit_events'),
    unredacted: () =>
      single(`SELECT count(*) AS n FROM audit_events WHERE data::text ~ 'gk_[0-9a-f]{8}_'`),
    deadLetters: () => single('SELECT count(*) AS n FROM audit_dead_letters'),
    close: () => client.end(),
  };
}
