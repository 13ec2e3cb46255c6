import type { ModelPrice } from '@gatehouse/budgets';

/**
 * Where admission reads a model's price (the price book; see prices/). Synchronous: it is asked
 * on the request path, from memory.
 */
export abstract class PriceLookup {
  abstract priceOf(model: string): ModelPrice | undefined;
}
