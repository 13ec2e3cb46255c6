import { bodiesHash, type ChainedFields, GENESIS_HASH, legacyChainHash } from '@gatehouse/audit';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/** An event to store; whatever is left out gets a plain default. */
export type NewAuditEvent = Partial<Omit<ChainedFields, 'bodies_hash'>> & {
  bodies?: Record<string, unknown>;
};

/** Empties what the admin views read: events, checkpoints, dead letters and usage rollups. */
export async function resetAuditTables(db: pg.Client): Promise<void> {
  await db.query('TRUNCATE audit_events, audit_checkpoints, audit_dead_letters, usage_daily');
}

/**
 * Appends events to the chain as the audit app would, each hash over the previous one, for
 * suites that read the trail without running the audit app. The legacy (unkeyed) hash is used:
 * these rows are listed, never verified.
 */
export async function appendAuditEvents(
  db: pg.Client,
  events: NewAuditEvent[],
): Promise<{ seq: string; event_id: string }[]> {
  const head = await db.query<{ hash: string }>(
    'SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1',
  );
  let prev = head.rows[0]?.hash ?? GENESIS_HASH;
  const columns: unknown[][] = Array.from({ length: 14 }, () => []);
  for (const e of events) {
    const fields: ChainedFields = {
      event_id: e.event_id ?? randomUUID(),
      type: e.type ?? 'request.completed',
      at: e.at ?? new Date().toISOString(),
      actor: e.actor ?? 'client',
      key_id: e.key_id ?? null,
      request_id: e.request_id ?? null,
      ip: e.ip ?? null,
      method: e.method ?? null,
      path: e.path ?? null,
      data: e.data ?? {},
      bodies_hash: bodiesHash(e.bodies),
    };
    const hash = legacyChainHash(prev, fields);
    const row = [
      fields.event_id,
      fields.type,
      fields.at,
      fields.actor,
      fields.key_id,
      fields.request_id,
      fields.ip,
      fields.method,
      fields.path,
      JSON.stringify(fields.data),
      e.bodies ? JSON.stringify(e.bodies) : null,
      fields.bodies_hash,
      prev,
      hash,
    ];
    row.forEach((v, i) => columns[i]?.push(v));
    prev = hash;
  }
  const res = await db.query<{ seq: string; event_id: string }>(
    `INSERT INTO audit_events (event_id, type, at, actor, key_id, request_id, ip, method, path, data,
                               bodies, bodies_hash, prev_hash, hash)
     SELECT event_id, type, at, actor, key_id, request_id, ip, method, path, data, bodies,
            bodies_hash, prev_hash, hash
       FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::uuid[],
                          $6::varchar[], $7::varchar[], $8::varchar[], $9::varchar[], $10::jsonb[],
                          $11::jsonb[], $12::char(64)[], $13::char(64)[], $14::char(64)[])
       WITH ORDINALITY AS t(event_id, type, at, actor, key_id, request_id, ip, method, path, data,
                            bodies, bodies_hash, prev_hash, hash, n)
      ORDER BY n
     RETURNING seq::text AS seq, event_id`,
    columns,
  );
  return res.rows.sort((a, b) => Number(a.seq) - Number(b.seq));
}
