import { PromptTokenCache } from './prompt-token-cache.js';
import { estimatePromptTokens, o200kTokens } from './token-estimate.js';

/** The tokenizer, with a record of what it was asked to count. */
function countingTokenizer(): { count: (slice: string) => number; counted: string[] } {
  const counted: string[] = [];
  return {
    counted,
    count: (slice) => {
      counted.push(slice);
      return o200kTokens(slice);
    },
  };
}

const paragraph =
  'The committee reviewed the quarterly budget and noted that revenue grew 12.5% year over ' +
  'year, while costs held flat; the board asked for a forecast by region before March. ';

function chat(turns: number): Record<string, unknown> {
  const messages = [{ role: 'system', content: paragraph.repeat(12) }];
  for (let i = 0; i < turns; i++) {
    messages.push({ role: 'user', content: `Question ${i}: ${paragraph}` });
    messages.push({ role: 'assistant', content: `Answer ${i}: ${paragraph.repeat(2)}` });
  }
  return { model: 'gpt-4o-mini', messages };
}

describe('PromptTokenCache', () => {
  it('counts what the tokenizer counts, and a slice a key sent before only once', () => {
    const tokenizer = countingTokenizer();
    const cache = new PromptTokenCache(tokenizer.count);
    const counter = cache.counterFor('key-1');

    const first = estimatePromptTokens('openai', chat(3), counter);
    expect(first).toBe(estimatePromptTokens('openai', chat(3)));
    const slices = tokenizer.counted.length;
    expect(slices).toBeGreaterThan(4);

    expect(estimatePromptTokens('openai', chat(3), counter)).toBe(first);
    expect(tokenizer.counted).toHaveLength(slices);

    // The next turn resends the conversation with more at its end: only the new slices (and
    // the one the old text ended in, now longer) are counted.
    const next = estimatePromptTokens('openai', chat(4), counter);
    expect(next).toBe(estimatePromptTokens('openai', chat(4)));
    expect(next).toBeGreaterThan(first);
    const counted = tokenizer.counted.length - slices;
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThan(slices / 2);
  });

  it("never answers one key's slice from another key's count", () => {
    const tokenizer = countingTokenizer();
    const cache = new PromptTokenCache(tokenizer.count);
    estimatePromptTokens('openai', chat(1), cache.counterFor('key-1'));
    const slices = tokenizer.counted.length;

    estimatePromptTokens('openai', chat(1), cache.counterFor('key-2'));
    expect(tokenizer.counted).toHaveLength(2 * slices);
    expect(tokenizer.counted.slice(slices)).toEqual(tokenizer.counted.slice(0, slices));
  });

  it('keeps at most its bound, dropping the slice least recently used', () => {
    const tokenizer = countingTokenizer();
    const cache = new PromptTokenCache(tokenizer.count, 2);
    const count = cache.counterFor('key-1');
    const [alpha, beta, gamma] = ['alpha ', 'beta ', 'gamma '].map((word) => word.repeat(20));
    count(alpha);
    count(beta);
    count(alpha); // used again: beta is now the oldest
    count(gamma); // evicts beta
    expect(cache.size).toBe(2);
    expect(tokenizer.counted).toEqual([alpha, beta, gamma]);

    count(alpha);
    count(beta);
    expect(tokenizer.counted).toEqual([alpha, beta, gamma, beta]);
  });

  it('counts a short slice without keeping it (hashing it would cost as much)', () => {
    const tokenizer = countingTokenizer();
    const cache = new PromptTokenCache(tokenizer.count);
    const count = cache.counterFor('key-1');
    expect(count('Say hello.')).toBe(o200kTokens('Say hello.'));
    count('Say hello.');
    expect(tokenizer.counted).toEqual(['Say hello.', 'Say hello.']);
    expect(cache.size).toBe(0);
  });

  it('holds no prompt text', () => {
    const cache = new PromptTokenCache(o200kTokens);
    const secret = `account number 4929 1234 5678 9012 for ${paragraph}`;
    cache.counterFor('key-1')(secret);
    const counts = (cache as unknown as { counts: Iterable<[string, number]> }).counts;
    const held = JSON.stringify([...counts]);
    expect(held).not.toContain('4929');
    expect(held).not.toContain('committee');
    expect(cache.size).toBe(1);
  });
});
