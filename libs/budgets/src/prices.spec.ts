import { DEFAULT_PRICES } from './default-prices.js';
import { costMicros, type ModelPrice, priceFor } from './prices.js';

describe('priceFor', () => {
  const table = new Map<string, ModelPrice>(Object.entries(DEFAULT_PRICES));

  it('takes the exact name when it is listed', () => {
    expect(priceFor('gpt-4o', table)).toEqual({ input: 2.5, output: 10 });
    expect(priceFor('o3-mini', table)).toEqual({ input: 1.1, output: 4.4 });
  });

  it("prices a dated variant as its family's name", () => {
    expect(priceFor('gpt-4o-2024-08-06', table)).toBe(DEFAULT_PRICES['gpt-4o']);
    expect(priceFor('claude-sonnet-4-20250514', table)).toBe(DEFAULT_PRICES['claude-sonnet-4']);
  });

  it('takes the longest listed name the model starts with', () => {
    expect(priceFor('gpt-4o-mini-2024-07-18', table)).toBe(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceFor('claude-sonnet-4-5-20250929', table)).toBe(DEFAULT_PRICES['claude-sonnet-4-5']);
    expect(priceFor('gpt-4-turbo-2024-04-09', table)).toBe(DEFAULT_PRICES['gpt-4-turbo']);
  });

  it('finds the longest match whatever order the table lists the names in', () => {
    const family = { input: 1, output: 1 };
    const member = { input: 2, output: 2 };
    const longestLast = new Map([
      ['a', family],
      ['a-b', member],
    ]);
    const longestFirst = new Map([
      ['a-b', member],
      ['a', family],
    ]);
    expect(priceFor('a-b-1', longestLast)).toBe(member);
    expect(priceFor('a-b-1', longestFirst)).toBe(member);
  });

  it('does not match a name that merely starts with the same letters', () => {
    expect(priceFor('gpt-4oo', table)).toBeUndefined();
    expect(priceFor('o3x', table)).toBeUndefined();
  });

  it('prices nothing it does not know, and is case-sensitive', () => {
    expect(priceFor('llama-3-70b', table)).toBeUndefined();
    expect(priceFor('GPT-4o', table)).toBeUndefined();
    expect(priceFor('', table)).toBeUndefined();
  });
});

describe('costMicros', () => {
  it('is tokens times the price per million tokens, in µUSD', () => {
    expect(costMicros({ input: 1_000, output: 500 }, { input: 2.5, output: 10 })).toBe(7_500);
    expect(costMicros({ input: 0, output: 0 }, { input: 2.5, output: 10 })).toBe(0);
  });

  it('rounds a fraction of a µUSD up, never down', () => {
    expect(costMicros({ input: 1, output: 0 }, { input: 0.05, output: 0.4 })).toBe(1);
    // 3 × 0.25 + 1 × 2 = 2.75
    expect(costMicros({ input: 3, output: 1 }, { input: 0.25, output: 2 })).toBe(3);
  });

  it('does not charge floating-point noise as a whole µUSD', () => {
    // 50 × 1.1 is 55.000000000000007 in binary floating point.
    expect(costMicros({ input: 50, output: 0 }, { input: 1.1, output: 4.4 })).toBe(55);
    expect(costMicros({ input: 0, output: 3 }, { input: 0, output: 0.7 })).toBe(3);
  });
});
