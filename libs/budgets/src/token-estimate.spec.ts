import {
  countOutputTokens,
  estimatePromptTokens,
  requestedOutputCap,
  withOutputCap,
} from './token-estimate.js';

describe('estimatePromptTokens', () => {
  it('counts the text a model reads, plus framing per message', () => {
    const one = estimatePromptTokens('openai', { messages: [{ role: 'user', content: 'hi' }] });
    const two = estimatePromptTokens('openai', {
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello there' },
      ],
    });
    expect(one).toBeGreaterThanOrEqual(5);
    expect(two).toBeGreaterThan(one + 4);
  });

  it('prices an inline image as an image, not as its base64 text', () => {
    const image = `data:image/png;base64,${'A'.repeat(200_000)}`;
    const body = {
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image } }] }],
    };
    expect(estimatePromptTokens('openai', body)).toBeLessThan(2_000);
  });

  it('counts Anthropic text at one token per 3 characters, system and tools included', () => {
    const body = {
      system: 'x'.repeat(300),
      messages: [{ role: 'user', content: 'y'.repeat(300) }],
    };
    expect(estimatePromptTokens('anthropic', body)).toBeGreaterThanOrEqual(200);
  });

  it('stays fast on text the tokenizer finds hardest (one long run without spaces)', () => {
    const started = Date.now();
    const cjk = '漢字かなカナ한국어'.repeat(100_000);
    const tokens = estimatePromptTokens('openai', { messages: [{ role: 'user', content: cjk }] });
    // Unbounded, 64k characters of this took tens of seconds; bounded, it takes milliseconds.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(tokens).toBeGreaterThan(cjk.length / 2);
    expect(countOutputTokens('openai', 'a'.repeat(1_000_000))).toBeGreaterThan(100_000);
  });
});

describe('output caps', () => {
  it('takes the larger cap, times n', () => {
    expect(requestedOutputCap({ max_tokens: 10 })).toBe(10);
    expect(requestedOutputCap({ max_tokens: 10, max_completion_tokens: 20, n: 3 })).toBe(60);
    expect(requestedOutputCap({})).toBeUndefined();
    expect(requestedOutputCap({ max_tokens: 'many' })).toBeUndefined();
  });

  it('sets max_tokens only on a body with no cap of its own', () => {
    expect(withOutputCap({ model: 'm' }, 100)).toEqual({ model: 'm', max_tokens: 100 });
    expect(withOutputCap({ max_completion_tokens: 5 }, 100)).toEqual({ max_completion_tokens: 5 });
    expect(withOutputCap({ model: 'm' }, undefined)).toEqual({ model: 'm' });
  });
});
