/**
 * The decisions of the audit ingest's batching (AuditIngestService), kept pure so they can be
 * tested without a queue or a database: when the open batch is closed, how long to wait before
 * writing a failed batch again, and when to stop writing it whole and write it event by event.
 */

export const RETRY_MIN_MS = 250;
export const RETRY_MAX_MS = 5_000;
/** A batch that keeps failing for a reason other than an outage is written event by event. */
export const ATTEMPTS_BEFORE_SPLIT = 3;

/**
 * Whether the open batch is closed (queued for writing) now that it holds `pending` events: when
 * it is full, or when the app is stopping (nothing more should join it). Otherwise it stays open
 * until AUDIT_BATCH_WAIT_MS after its first job. (A job of many events may overfill it: jobs are
 * not split, their events are committed together.)
 */
export function closesBatch(pending: number, batchSize: number, stopping: boolean): boolean {
  return stopping || pending >= batchSize;
}

/** One try at writing a batch: its number, and how long to wait after it if it fails. */
export type WriteAttempt = { n: number; delayMs: number };

export const FIRST_ATTEMPT: WriteAttempt = { n: 1, delayMs: RETRY_MIN_MS };

/** Past ATTEMPTS_BEFORE_SPLIT the batch is written event by event, so one bad event is isolated. */
export function writesOneByOne(attempt: WriteAttempt): boolean {
  return attempt.n > ATTEMPTS_BEFORE_SPLIT;
}

/**
 * The attempt after a failed one: the wait doubles up to RETRY_MAX_MS. While Postgres is
 * unreachable the count is held below the split: an outage says nothing about the events, and
 * writing them one by one would only be slower once it is back.
 */
export function nextAttempt(failed: WriteAttempt, unavailable: boolean): WriteAttempt {
  const counted = unavailable ? Math.min(failed.n, ATTEMPTS_BEFORE_SPLIT - 1) : failed.n;
  return { n: counted + 1, delayMs: Math.min(failed.delayMs * 2, RETRY_MAX_MS) };
}
