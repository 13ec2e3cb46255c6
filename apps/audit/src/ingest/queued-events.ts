import {
  AUDIT_BATCH_JOB_NAME,
  AUDIT_EVENT_VERSION,
  AUDIT_EVENTS_PER_JOB_MAX,
} from '@gatehouse/queue';

/**
 * One event as taken from the `audit` queue: what to validate, and where it came from (the job's
 * id, with `#n` for the n-th event of a batch job) for a dead letter. `refused` is set when the
 * job itself is unusable: the whole payload is then one dead letter.
 */
export type QueuedEvent = { raw: unknown; source: string | null; refused?: string };

/**
 * The events a job of the `audit` queue carries: the events of a batch job (AUDIT_BATCH_JOB_NAME,
 * what producers send), or the job's data as one event (AUDIT_JOB_NAME, or any other name: what
 * producers sent before, and what a hand-made job is taken for).
 */
export function queuedEvents(name: string, data: unknown, jobId: string | null): QueuedEvent[] {
  if (name !== AUDIT_BATCH_JOB_NAME) return [{ raw: data, source: jobId }];
  const refused = batchRefusal(data);
  if (refused !== undefined) return [{ raw: data, source: jobId, refused }];
  const events = (data as { events: unknown[] }).events;
  return events.map((raw, n) => ({ raw, source: jobId === null ? null : `${jobId}#${n}` }));
}

function batchRefusal(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return 'batch job data is not an object';
  const { v, events } = data as { v?: unknown; events?: unknown };
  if (v !== AUDIT_EVENT_VERSION) return `unsupported batch version ${String(v)}`;
  if (!Array.isArray(events)) return 'batch job events is not an array';
  if (events.length === 0) return 'batch job holds no events';
  if (events.length > AUDIT_EVENTS_PER_JOB_MAX)
    return `batch job holds ${events.length} events (at most ${AUDIT_EVENTS_PER_JOB_MAX})`;
  return undefined;
}
