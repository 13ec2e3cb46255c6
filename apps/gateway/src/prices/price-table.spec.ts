import { priceFor } from '@gatehouse/budgets';
import { buildPriceTable, type StoredOverride } from './price-table.js';

describe('buildPriceTable', () => {
  const defaults = {
    'gpt-4o': { input: 2.5, output: 10 },
    'gpt-4o-mini': { input: 0.15, output: 0.6 },
  };
  const at = new Date('2026-12-02T10:00:00Z');
  const override = (model: string, input: string, output: string): StoredOverride => ({
    model,
    inputPerMtok: input,
    outputPerMtok: output,
    updatedAt: at,
  });

  it('lists the defaults alone when nothing is overridden', () => {
    const table = buildPriceTable(defaults, []);
    expect(table.listing).toEqual([
      { model: 'gpt-4o', price: defaults['gpt-4o'], source: 'default', updatedAt: null },
      { model: 'gpt-4o-mini', price: defaults['gpt-4o-mini'], source: 'default', updatedAt: null },
    ]);
    expect(priceFor('gpt-4o-2024-08-06', table.prices)).toEqual({ input: 2.5, output: 10 });
  });

  it('lets an override win over a default, as numbers, for the family too', () => {
    const table = buildPriceTable(defaults, [override('gpt-4o', '1.25', '5.000')]);
    expect(table.listing[0]).toEqual({
      model: 'gpt-4o',
      price: { input: 1.25, output: 5 },
      source: 'override',
      updatedAt: at,
    });
    expect(priceFor('gpt-4o-2024-08-06', table.prices)).toEqual({ input: 1.25, output: 5 });
    // The longer family keeps its own default.
    expect(priceFor('gpt-4o-mini-2024-07-18', table.prices)).toEqual(defaults['gpt-4o-mini']);
  });

  it('adds a model no default lists, sorted in among them', () => {
    const table = buildPriceTable(defaults, [
      override('llama-3-70b', '0.5', '0.7'),
      override('a-model', '0', '0'),
    ]);
    expect(table.listing.map((l) => [l.model, l.source])).toEqual([
      ['a-model', 'override'],
      ['gpt-4o', 'default'],
      ['gpt-4o-mini', 'default'],
      ['llama-3-70b', 'override'],
    ]);
    expect(priceFor('llama-3-70b-instruct', table.prices)).toEqual({ input: 0.5, output: 0.7 });
    expect(priceFor('a-model', table.prices)).toEqual({ input: 0, output: 0 });
  });
});
