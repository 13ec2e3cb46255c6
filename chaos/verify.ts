import { bullPrefix, QueueName } from '@gatehouse/queue';
import { Queue } from 'bullmq';
import pg from 'pg';
import type { FaultRecord } from './faults.js';
import type { RequestRecord } from './load.js';
import type { RecordedRequest } from '../test/support/mock-upstream.js';
import type { ChaosSystem } from './system.js';

export type JobsCheck = {
  submitted: number;
  completed: number;
  /** Finished with an error (an upstream that failed, say): terminal, not lost. */
  failed: number;
  /** The gateway no longer knows the id it accepted. */
  lost: string[];
  /** Not finished when the drain time ran out. */
  stuck: string[];
  /** Completed with somebody else's answer. */
  wrongResult: string[];
};

export type AuditCheck = {
  /** One request.completed per served request; job.created, request.completed and job.completed or job.failed per accepted job. */
  expected: number;
  stored: number;
  missing: string[];
  duplicated: string[];
  deadLetters: number;
  /** Events still queued (waiting, active, delayed) or failed when the drain ended. */
  queued: number;
  failed: number;
  chainOk: boolean;
  chainChecked: number;
};

export type DuplicateCall = { marker: string; calls: number; explanation: string };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);

/** Waits (up to the deadline) until every accepted job has finished, then sorts them. */
export async function checkJobs(
  system: ChaosSystem,
  records: RequestRecord[],
  deadline: number,
): Promise<JobsCheck> {
  const accepted = records.filter((r) => r.kind === 'job' && r.jobId !== undefined);
  const pending = new Map(accepted.map((r) => [r.jobId ?? '', r]));
  const check: JobsCheck = {
    submitted: accepted.length,
    completed: 0,
    failed: 0,
    lost: [],
    stuck: [],
    wrongResult: [],
  };
  const base = system.gateways[0]?.url ?? '';
  while (pending.size > 0 && Date.now() < deadline) {
    for (const [id, record] of pending) {
      const res = await fetch(`${base}/api/v1/jobs/${id}`, {
        headers: { authorization: `Bearer ${system.clientKey}` },
      }).catch(() => undefined);
      if (!res) continue;
      if (res.status === 404) {
        check.lost.push(id);
        pending.delete(id);
        continue;
      }
      if (res.status !== 200) continue;
      const job = (await res.json()) as { status: string; result?: unknown };
      if (!TERMINAL.has(job.status)) continue;
      pending.delete(id);
      if (job.status !== 'completed') {
        check.failed++;
        continue;
      }
      check.completed++;
      const content = (job.result as { choices?: { message?: { content?: unknown } }[] })
        ?.choices?.[0]?.message?.content;
      if (content !== record.marker) check.wrongResult.push(id);
    }
    if (pending.size > 0) await sleep(500);
  }
  check.stuck = [...pending.keys()];
  return check;
}

/** Waits (up to the deadline) for the audit queue to empty, then compares what was stored. */
export async function checkAudit(
  system: ChaosSystem,
  records: RequestRecord[],
  deadline: number,
): Promise<AuditCheck> {
  const queue = new Queue(QueueName.audit, {
    connection: { host: '127.0.0.1', port: system.redis.port, maxRetriesPerRequest: 1 },
    prefix: bullPrefix(system.env.redisPrefix),
  });
  let queued: number;
  let failed: number;
  try {
    for (;;) {
      const counts = await queue.getJobCounts(
        'waiting',
        'active',
        'delayed',
        'prioritized',
        'failed',
      );
      queued = (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0);
      queued += counts.prioritized ?? 0;
      failed = counts.failed ?? 0;
      if (queued === 0 || Date.now() > deadline) break;
      await sleep(250);
    }
  } finally {
    await queue.close();
  }

  const db = new pg.Client({ connectionString: system.env.database.url });
  await db.connect();
  try {
    // A job ends in job.completed or job.failed: either is its one outcome record.
    const rows = await db.query<{ type: string; request_id: string; n: string }>(
      `SELECT CASE WHEN type IN ('job.completed', 'job.failed') THEN 'job.finished' ELSE type END AS type,
              request_id, count(*) AS n
         FROM audit_events
        WHERE type IN ('request.completed', 'job.created', 'job.completed', 'job.failed')
          AND request_id LIKE 'chaos-%'
        GROUP BY 1, 2`,
    );
    const stored = new Map(rows.rows.map((r) => [`${r.type} ${r.request_id}`, Number(r.n)]));
    const expected = records
      .filter((r) => r.outcome === 'served')
      .flatMap((r) =>
        r.kind === 'job'
          ? ['job.created', 'request.completed', 'job.finished'].map((t) => `${t} ${r.requestId}`)
          : [`request.completed ${r.requestId}`],
      );
    const deadLetters = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM audit_dead_letters',
    );
    const verify = await fetch(`${system.gateways[0]?.url ?? ''}/api/v1/admin/audit/verify`, {
      headers: { 'x-api-key': system.env.adminKey },
    });
    const chain = (await verify.json()) as { ok?: boolean; checked?: number };
    return {
      expected: expected.length,
      stored: rows.rows.reduce((sum, r) => sum + Number(r.n), 0),
      missing: expected.filter((e) => !stored.has(e)),
      duplicated: [...stored].filter(([, n]) => n > 1).map(([e, n]) => `${e} ×${n}`),
      deadLetters: Number(deadLetters.rows[0]?.n ?? 0),
      queued,
      failed,
      chainOk: verify.status === 200 && chain.ok === true,
      chainChecked: chain.checked ?? 0,
    };
  } finally {
    await db.end();
  }
}

/** A job's first call this long before a fault can still be waiting for its completion then. */
const CALL_TO_COMPLETION_MS = 10_000;

/**
 * Prompts the upstream saw more than once. The expected cause: a fault (a worker killed, Redis
 * restarted) struck between a job's upstream call and its completion in BullMQ, so the job was
 * run again once its lock lapsed. A repeat with no fault between the calls is unexplained.
 */
export function duplicateCalls(system: ChaosSystem, faults: FaultRecord[]): DuplicateCall[] {
  const byPrompt = new Map<string, RecordedRequest[]>();
  for (const r of system.upstream.requests) {
    const messages = r.body.messages as { content?: unknown }[] | undefined;
    const content = messages?.[messages.length - 1]?.content;
    if (typeof content !== 'string') continue;
    const calls = byPrompt.get(content);
    if (calls) calls.push(r);
    else byPrompt.set(content, [r]);
  }
  const explain = (calls: RecordedRequest[]): string => {
    const [first] = calls;
    const last = calls[calls.length - 1];
    const fault = faults.find(
      (f) =>
        first !== undefined &&
        last !== undefined &&
        first.receivedAt <= f.repairedAt &&
        f.at - first.receivedAt < CALL_TO_COMPLETION_MS &&
        last.receivedAt >= f.at,
    );
    if (!fault) return 'unexplained';
    return `${fault.name} between the call and the job's completion: the job ran again${
      first?.aborted ? ' (the first call was cut off)' : ''
    }`;
  };
  return [...byPrompt]
    .filter(([, calls]) => calls.length > 1)
    .map(([marker, calls]) => ({ marker, calls: calls.length, explanation: explain(calls) }));
}
