import type { EntityManager } from 'typeorm';
import type { PreparedEvent } from '../ingest/audit-event-preparer.js';

/** usage_daily.key_id is NOT NULL: a request without a key is counted under the nil UUID. */
export const NO_KEY_ID = '00000000-0000-0000-0000-000000000000';

type UsageRow = {
  day: string;
  key_id: string;
  model: string;
  requests: number;
  errors: number;
  tokens_in: number;
  tokens_out: number;
  cost_micros: number;
};

/** A non-negative whole number from an event's data; anything else (missing, null) counts 0. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/**
 * Sums the stored (redacted) request.completed events per UTC day of `at`, key and model.
 * `data`: model, status (errors = status >= 400), tokens_in, tokens_out, cost_micros (µUSD;
 * null when no price applied, absent from events of earlier workers: both count 0).
 */
export function usageRows(events: readonly PreparedEvent[]): UsageRow[] {
  const rows = new Map<string, UsageRow>();
  for (const { fields } of events) {
    if (fields.type !== 'request.completed') continue;
    const data = fields.data;
    const day = new Date(fields.at).toISOString().slice(0, 10);
    const keyId = fields.key_id ?? NO_KEY_ID;
    const model =
      typeof data.model === 'string' && data.model.length > 0
        ? data.model.slice(0, 200)
        : 'unknown';
    const id = `${day} ${keyId} ${model}`;
    let row = rows.get(id);
    if (!row) {
      row = {
        day,
        key_id: keyId,
        model,
        requests: 0,
        errors: 0,
        tokens_in: 0,
        tokens_out: 0,
        cost_micros: 0,
      };
      rows.set(id, row);
    }
    row.requests += 1;
    if (typeof data.status === 'number' && data.status >= 400) row.errors += 1;
    row.tokens_in += count(data.tokens_in);
    row.tokens_out += count(data.tokens_out);
    row.cost_micros += count(data.cost_micros);
  }
  return [...rows.values()];
}

/** Adds the batch's usage to the rollups, in the caller's transaction (so it counts each event once). */
export async function upsertUsage(
  manager: EntityManager,
  events: readonly PreparedEvent[],
): Promise<void> {
  const rows = usageRows(events);
  if (rows.length === 0) return;
  await manager.query(
    `INSERT INTO usage_daily (day, key_id, model, requests, errors, tokens_in, tokens_out, cost_micros)
     SELECT r.day, r.key_id, r.model, r.requests, r.errors, r.tokens_in, r.tokens_out, r.cost_micros
       FROM jsonb_to_recordset($1::jsonb)
         AS r(day date, key_id uuid, model text, requests bigint, errors bigint, tokens_in bigint,
              tokens_out bigint, cost_micros bigint)
     ON CONFLICT (day, key_id, model) DO UPDATE SET
       requests = usage_daily.requests + EXCLUDED.requests,
       errors = usage_daily.errors + EXCLUDED.errors,
       tokens_in = usage_daily.tokens_in + EXCLUDED.tokens_in,
       tokens_out = usage_daily.tokens_out + EXCLUDED.tokens_out,
       cost_micros = usage_daily.cost_micros + EXCLUDED.cost_micros`,
    [JSON.stringify(rows)],
  );
}
