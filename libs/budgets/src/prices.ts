/**
 * A model's price in USD per million tokens, as providers quote it. Conveniently, that is also
 * micro-dollars (µUSD) per token, the unit cost budgets are counted in: whole numbers in Redis,
 * exact for any price quoted to the cent per million tokens.
 */
export type ModelPrice = { input: number; output: number };

/** Looks a model's price up: the exact name, else the longest listed name it starts with. */
export function priceFor(
  model: string,
  prices: ReadonlyMap<string, ModelPrice>,
): ModelPrice | undefined {
  const exact = prices.get(model);
  if (exact) return exact;
  // Dated or suffixed names (gpt-4o-2024-08-06, claude-sonnet-4-20250514) take their family's
  // price; the longest match wins, so gpt-4o-mini-… is not priced as gpt-4o.
  let best: { name: string; price: ModelPrice } | undefined;
  for (const [name, price] of prices) {
    if (model.startsWith(`${name}-`) && (!best || name.length > best.name.length)) {
      best = { name, price };
    }
  }
  return best?.price;
}

/** What tokens cost at a price, in µUSD, rounded up (a budget is never under-charged). */
export function costMicros(tokens: { input: number; output: number }, price: ModelPrice): number {
  const exact = tokens.input * price.input + tokens.output * price.output;
  // Binary floating point makes 50 × 1.1 = 55.000000000000007: round away that noise (prices
  // have at most six decimals) before rounding up whole µUSD.
  return Math.ceil(Math.round(exact * 1e6) / 1e6);
}

/** µUSD in one US cent: cost budgets are set in cents and counted in µUSD. */
export const MICROS_PER_CENT = 10_000;
