import { BroadcastEvent, BroadcastPublisher } from '@gatehouse/queue';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import type { RequestContext } from '../audit-trail/request-context.js';
import type { PriceEntryDto } from './dto/replace-prices.dto.js';
import { PriceBook } from './price-book.service.js';
import { type PriceTableView, toPriceTableView } from './price-view.js';

/** What a replacement changed, as audited: overrides added or repriced, overrides dropped. */
export type PriceChange = { set: PriceEntryDto[]; removed: string[] };

/** The admin side of the price table: replacing the overrides, on every replica at once. */
@Injectable()
export class PricesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly book: PriceBook,
    private readonly broadcast: BroadcastPublisher,
    private readonly audit: GatewayAudit,
  ) {}

  view(): PriceTableView {
    return toPriceTableView(this.book.list());
  }

  /**
   * Makes `entries` the complete set of overrides. This replica reloads before it answers, so
   * its next request is priced by the new table; the others reload on the broadcast.
   */
  async replace(entries: readonly PriceEntryDto[], ctx: RequestContext): Promise<PriceTableView> {
    const change = await this.dataSource.transaction((manager) => writeOverrides(manager, entries));
    this.audit.record(ctx, 'prices.updated', change);
    // Told even if this replica's reload fails: the rows have changed either way.
    await Promise.all([
      this.book.reload(),
      this.broadcast.publish(BroadcastEvent.pricesChanged, { at: new Date().toISOString() }),
    ]);
    return this.view();
  }
}

/**
 * One transaction: drop the overrides not listed, insert the new ones, update those whose price
 * changed (only those get a new updated_at). The table lock makes concurrent replacements
 * apply one after the other instead of colliding on the primary key; readers are not blocked.
 */
async function writeOverrides(
  manager: EntityManager,
  entries: readonly PriceEntryDto[],
): Promise<PriceChange> {
  await manager.query('LOCK TABLE model_prices IN EXCLUSIVE MODE');
  // Through a CTE: TypeORM answers a bare DELETE with [rows, count] rather than the rows.
  const removed = await manager.query<{ model: string }[]>(
    `WITH gone AS (DELETE FROM model_prices WHERE model <> ALL($1::text[]) RETURNING model)
     SELECT model FROM gone`,
    [entries.map((e) => e.model)],
  );
  // JSON numbers become numeric exactly as written (0.1 stays 0.1, not a binary fraction).
  const written = await manager.query<{ model: string }[]>(
    `INSERT INTO model_prices (model, input_per_mtok, output_per_mtok)
     SELECT r.model, r.input_per_mtok, r.output_per_mtok
       FROM jsonb_to_recordset($1::jsonb) AS r(model text, input_per_mtok numeric, output_per_mtok numeric)
     ON CONFLICT (model) DO UPDATE
        SET input_per_mtok = excluded.input_per_mtok,
            output_per_mtok = excluded.output_per_mtok,
            updated_at = now()
      WHERE (model_prices.input_per_mtok, model_prices.output_per_mtok)
            IS DISTINCT FROM (excluded.input_per_mtok, excluded.output_per_mtok)
     RETURNING model`,
    [JSON.stringify(entries)],
  );
  const setModels = new Set(written.map((r) => r.model));
  return {
    set: entries
      .filter((e) => setModels.has(e.model))
      .map((e) => ({
        model: e.model,
        input_per_mtok: e.input_per_mtok,
        output_per_mtok: e.output_per_mtok,
      })),
    removed: removed.map((r) => r.model).sort(),
  };
}
