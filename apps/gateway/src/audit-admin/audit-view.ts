/** A stored audit event as the admin API shows it. Rows are redacted before they are stored. */
export type AuditEventView = {
  seq: string;
  event_id: string;
  type: string;
  at: string;
  recorded_at: string;
  actor: string;
  key_id: string | null;
  request: {
    request_id: string | null;
    ip: string | null;
    method: string | null;
    path: string | null;
  } | null;
  data: Record<string, unknown>;
  has_bodies: boolean;
  /** Only with `include_bodies=true`. */
  bodies?: Record<string, unknown> | null;
  bodies_hash: string | null;
  prev_hash: string;
  hash: string;
};

/** The columns the list query selects (raw, snake_case, as node-postgres returns them). */
export type AuditEventRecord = {
  seq: string;
  event_id: string;
  type: string;
  at: string;
  recorded_at: Date;
  actor: string;
  key_id: string | null;
  request_id: string | null;
  ip: string | null;
  method: string | null;
  path: string | null;
  data: Record<string, unknown>;
  has_bodies: boolean;
  bodies?: Record<string, unknown> | null;
  bodies_hash: string | null;
  prev_hash: string;
  hash: string;
};

/** Built field by field: nothing the query happens to return slips into the response. */
export function toAuditEventView(row: AuditEventRecord, includeBodies: boolean): AuditEventView {
  const hasRequest =
    row.request_id !== null || row.ip !== null || row.method !== null || row.path !== null;
  return {
    seq: String(row.seq),
    event_id: row.event_id,
    type: row.type,
    at: row.at,
    recorded_at: row.recorded_at.toISOString(),
    actor: row.actor,
    key_id: row.key_id,
    request: hasRequest
      ? { request_id: row.request_id, ip: row.ip, method: row.method, path: row.path }
      : null,
    data: row.data,
    has_bodies: row.has_bodies,
    ...(includeBodies ? { bodies: row.bodies ?? null } : {}),
    bodies_hash: row.bodies_hash,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

export type DeadLetterView = {
  id: string;
  job_id: string | null;
  reason: string;
  payload: unknown;
  received_at: string;
};

export type DeadLetterRecord = {
  id: string;
  job_id: string | null;
  reason: string;
  payload: unknown;
  received_at: Date;
};

export function toDeadLetterView(row: DeadLetterRecord): DeadLetterView {
  return {
    id: row.id,
    job_id: row.job_id,
    reason: row.reason,
    payload: row.payload,
    received_at: row.received_at.toISOString(),
  };
}
