import { DEFAULT_PRICES_AS_OF } from '@gatehouse/budgets';
import type { PriceListing, PriceSource } from './price-table.js';

/** One model's price as the admin API shows it: USD per million tokens. */
export type PriceView = {
  model: string;
  input_per_mtok: number;
  output_per_mtok: number;
  source: PriceSource;
  updated_at: string | null;
};

/** The whole effective table; `as_of` dates the defaults underneath the overrides. */
export type PriceTableView = { as_of: string; data: PriceView[] };

export function toPriceTableView(listing: readonly PriceListing[]): PriceTableView {
  return {
    as_of: DEFAULT_PRICES_AS_OF,
    data: listing.map((l) => ({
      model: l.model,
      input_per_mtok: l.price.input,
      output_per_mtok: l.price.output,
      source: l.source,
      updated_at: l.updatedAt?.toISOString() ?? null,
    })),
  };
}
