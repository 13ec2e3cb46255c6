import { jest } from '@jest/globals';
import { UsageChunkFilter, withStreamUsage } from './stream-usage.js';

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content } }], usage: null })}\n\n`;
const usageChunk = `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 5, completion_tokens: 2 } })}\n\n`;
const done = 'data: [DONE]\n\n';

describe('withStreamUsage', () => {
  const body = { model: 'm', messages: [], stream: true };

  it('asks an OpenAI stream for its usage, keeping the other stream options', () => {
    expect(withStreamUsage('chat.completions', true, body)).toEqual({
      body: { ...body, stream_options: { include_usage: true } },
      added: true,
    });
    const withOptions = { ...body, stream_options: { include_obfuscation: false } };
    expect(withStreamUsage('chat.completions', true, withOptions).body.stream_options).toEqual({
      include_obfuscation: false,
      include_usage: true,
    });
  });

  it('leaves alone what already reports usage, or is no stream, or is not OpenAI', () => {
    const asked = { ...body, stream_options: { include_usage: true } };
    expect(withStreamUsage('chat.completions', true, asked)).toEqual({ body: asked, added: false });
    expect(withStreamUsage('chat.completions', false, body).added).toBe(false);
    expect(withStreamUsage('messages', true, body).added).toBe(false);
    // Not an object: the provider refuses it, as it would have anyway.
    const odd = { ...body, stream_options: 'yes' };
    expect(withStreamUsage('chat.completions', true, odd)).toEqual({ body: odd, added: false });
  });
});

describe('UsageChunkFilter', () => {
  it('drops the usage-only chunk and passes every other byte', () => {
    const filter = new UsageChunkFilter();
    const out = [chunk('a'), chunk('b'), usageChunk, done].map((e) => filter.feed(e)).join('');
    expect(out + filter.end()).toBe(chunk('a') + chunk('b') + done);
  });

  it('holds a partial event until its end arrives, whatever the chunking', () => {
    const whole = chunk('hello') + usageChunk + done;
    for (const size of [1, 3, 7, 50]) {
      const filter = new UsageChunkFilter();
      let out = '';
      for (let i = 0; i < whole.length; i += size) out += filter.feed(whole.slice(i, i + size));
      expect([size, out + filter.end()]).toEqual([size, chunk('hello') + done]);
    }
  });

  it('understands CRLF event ends, and passes an unterminated tail at the end', () => {
    const filter = new UsageChunkFilter();
    const crlf = usageChunk.replace(/\n/g, '\r\n');
    expect(filter.feed(`${crlf}data: {"x":1}`)).toBe('');
    expect(filter.end()).toBe('data: {"x":1}');
  });

  it('parses only the chunk whose choices are empty, however spaced', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const filter = new UsageChunkFilter();
      const spaced = usageChunk.replace('"choices":[]', '"choices" : [ ]');
      const out = [chunk('a'), chunk('b'), spaced, done].map((e) => filter.feed(e)).join('');
      expect(out).toBe(chunk('a') + chunk('b') + done);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });

  it('keeps a chunk that carries usage and choices both', () => {
    const filter = new UsageChunkFilter();
    const both = `data: ${JSON.stringify({ choices: [{ index: 0, delta: {} }], usage: { prompt_tokens: 1 } })}\n\n`;
    expect(filter.feed(both)).toBe(both);
  });
});
