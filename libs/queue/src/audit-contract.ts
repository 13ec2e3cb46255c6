/**
 * Audit events, as producers put them on the `audit` queue. The audit app redacts, chains
 * and stores them. Bump the version on an incompatible change: queued events outlive deploys.
 *
 * Producers send one job per flush (AUDIT_BATCH_JOB_NAME, up to AUDIT_EVENTS_PER_JOB events):
 * a BullMQ job costs Redis about ten commands to add and two scripts to take and complete, and
 * the audit app a fetch and a lock, so one per event was the bulk of recording's cost. A job
 * holding one event (AUDIT_JOB_NAME, what producers sent before) is still accepted.
 */
export const AUDIT_JOB_NAME = 'audit.event';
export const AUDIT_BATCH_JOB_NAME = 'audit.events';
export const AUDIT_EVENT_VERSION = 1;
/** Events one producer flush puts in one job. */
export const AUDIT_EVENTS_PER_JOB = 200;
/** More than this in one job is refused whole by the audit app: no producer sends it. */
export const AUDIT_EVENTS_PER_JOB_MAX = 1_000;

export type AuditEventType =
  | 'auth.failed'
  | 'auth.ok'
  | 'ratelimit.hit'
  | 'request.completed'
  | 'job.created'
  | 'job.completed'
  | 'job.failed'
  | 'key.created'
  | 'key.updated'
  | 'key.rotated'
  | 'key.revoked'
  | 'key.ip_denied'
  | 'pii.masked'
  | 'pii.blocked'
  | 'key.budget_reset'
  | 'account.created'
  | 'account.updated'
  | 'account.paused'
  | 'account.resumed'
  | 'account.deleted'
  | 'account.cooldown'
  | 'upstream.failed'
  | 'config.changed'
  | 'prices.updated'
  | 'retention.run'
  | 'console.login'
  | 'console.logout';

export type AuditActor = 'admin' | 'client' | 'system' | 'anonymous';

/** Where a request came from; present on every event caused by a request. */
export type AuditRequestContext = {
  request_id: string;
  ip: string;
  method: string;
  path: string;
};

export type AuditEvent = {
  v: typeof AUDIT_EVENT_VERSION;
  /** Unique per event: the audit app stores each id once, however often it is delivered. */
  id: string;
  type: AuditEventType;
  /** ISO 8601 time the event happened at its producer. */
  at: string;
  actor: AuditActor;
  key_id?: string;
  request?: AuditRequestContext;
  /** Type-specific facts (e.g. model, account, status, latency, tokens; before/after). */
  data: Record<string, unknown>;
  /** Request/response bodies: only sent when AUDIT_CAPTURE_BODIES=true, redacted on ingest. */
  bodies?: { request?: unknown; response?: unknown };
  /** HMAC of the rest under AUDIT_EVENT_KEY (libs/audit event-mac.ts): unsigned events are refused. */
  mac?: string;
};

/** What an AUDIT_BATCH_JOB_NAME job carries: events in the order they were emitted. */
export type AuditEventBatch = {
  v: typeof AUDIT_EVENT_VERSION;
  events: AuditEvent[];
};

/** Audit jobs are many: keep failed ones for inspection, drop completed ones. */
export const AUDIT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { count: 10_000 },
} as const;

/** Job on `audit-maintenance`: apply the retention policy now. Returns RetentionSummary. */
export const RETENTION_JOB_NAME = 'audit.retention';
/** Fixed id of the repeatable retention job, so replicas and restarts never duplicate it. */
export const RETENTION_SCHEDULER_ID = 'audit-retention';

/** What a retention job carries: who asked (recorded as the retention.run event's actor). */
export type RetentionJobData = {
  trigger: 'schedule' | 'admin';
  request?: AuditRequestContext;
};

export type RetentionSummary = {
  deleted_events: number;
  deleted_bodies: number;
  deleted_job_results: number;
  /** The chain's new start, when events were deleted. */
  checkpoint: { last_deleted_seq: string; last_deleted_hash: string } | null;
  ran_at: string;
};
