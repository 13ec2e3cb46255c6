import type { JobsOptions } from 'bullmq';
import {
  AUDIT_BATCH_JOB_NAME,
  AUDIT_EVENT_VERSION,
  AUDIT_EVENTS_PER_JOB,
  AUDIT_JOB_OPTIONS,
  type AuditEvent,
  type AuditEventBatch,
} from './audit-contract.js';

/**
 * Characters of captured bodies one audit job may carry before the next job starts. Events
 * without bodies are a few hundred bytes, so only AUDIT_CAPTURE_BODIES makes this bind; it
 * keeps a job a modest Redis value however large AUDIT_BODY_MAX_BYTES is set.
 */
export const AUDIT_JOB_BODY_CHARS = 1024 * 1024;

/**
 * How many of `events`, from the first, go in the next job: up to AUDIT_EVENTS_PER_JOB, no more
 * than AUDIT_JOB_BODY_CHARS of bodies, and always at least one.
 */
export function nextJobLength(events: readonly AuditEvent[], from = 0): number {
  const max = Math.min(events.length - from, AUDIT_EVENTS_PER_JOB);
  let chars = 0;
  for (let i = 0; i < max; i++) {
    const bodies = events[from + i]?.bodies;
    if (bodies === undefined) continue;
    chars += JSON.stringify(bodies).length;
    // Past the bound: the job ends before this event, or with it when it is the first.
    if (chars > AUDIT_JOB_BODY_CHARS) return Math.max(i, 1);
  }
  return max;
}

/** `events` cut into jobs by nextJobLength, in order. */
export function auditJobBatches(events: readonly AuditEvent[]): AuditEvent[][] {
  const batches: AuditEvent[][] = [];
  for (let from = 0; from < events.length;) {
    const length = nextJobLength(events, from);
    batches.push(events.slice(from, from + length));
    from += length;
  }
  return batches;
}

export type AuditBatchJob = { name: string; data: AuditEventBatch; opts: JobsOptions };

/** The `audit` queue job that carries `batch`, as Queue.add / addBulk take it. */
export function auditBatchJob(batch: AuditEvent[]): AuditBatchJob {
  return {
    name: AUDIT_BATCH_JOB_NAME,
    data: { v: AUDIT_EVENT_VERSION, events: batch },
    // Named by its content: a batch sent again after a lost reply is the same job. (Held events
    // may be cut differently after a failure: the audit app's once per event id keeps them
    // single then.)
    opts: { ...AUDIT_JOB_OPTIONS, jobId: `${batch[0]?.id}+${batch.length}` },
  };
}
