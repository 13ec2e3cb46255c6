import type { ModelPrice } from '@gatehouse/budgets';

export type PriceSource = 'default' | 'override';

/** One model's effective price and where it comes from. */
export type PriceListing = {
  model: string;
  price: ModelPrice;
  source: PriceSource;
  /** When the override was last set; null for a default. */
  updatedAt: Date | null;
};

/** An override as stored: `numeric` columns arrive as strings. */
export type StoredOverride = {
  model: string;
  inputPerMtok: string;
  outputPerMtok: string;
  updatedAt: Date;
};

export type PriceTable = {
  /** What `priceFor` looks models up in. */
  prices: ReadonlyMap<string, ModelPrice>;
  /** Every model, sorted by name. */
  listing: readonly PriceListing[];
};

/** The defaults with the overrides laid over them: an override wins, and may add a model. */
export function buildPriceTable(
  defaults: Readonly<Record<string, ModelPrice>>,
  overrides: readonly StoredOverride[],
): PriceTable {
  const byModel = new Map<string, PriceListing>();
  for (const [model, price] of Object.entries(defaults)) {
    byModel.set(model, { model, price, source: 'default', updatedAt: null });
  }
  for (const row of overrides) {
    byModel.set(row.model, {
      model: row.model,
      price: { input: Number(row.inputPerMtok), output: Number(row.outputPerMtok) },
      source: 'override',
      updatedAt: row.updatedAt,
    });
  }
  // By code unit, not locale: the same order on every replica and in every test.
  const listing = [...byModel.values()].sort((a, b) =>
    a.model < b.model ? -1 : a.model > b.model ? 1 : 0,
  );
  return { prices: new Map(listing.map((l) => [l.model, l.price])), listing };
}
