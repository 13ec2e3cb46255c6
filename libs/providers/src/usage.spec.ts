import { StreamUsageTracker, usageFromJson } from './usage.js';

describe('usageFromJson', () => {
  it('reads OpenAI prompt and completion tokens', () => {
    const body = { id: 'c', usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 } };
    expect(usageFromJson('chat.completions', body)).toEqual({ input: 12, output: 34 });
  });

  it('reads Anthropic tokens, adding cache tokens to the input', () => {
    expect(usageFromJson('messages', { usage: { input_tokens: 10, output_tokens: 5 } })).toEqual({
      input: 10,
      output: 5,
    });
    expect(
      usageFromJson('messages', {
        usage: {
          input_tokens: 10,
          cache_creation_input_tokens: 100,
          cache_read_input_tokens: 1000,
          output_tokens: 5,
        },
      }),
    ).toEqual({ input: 1110, output: 5 });
  });

  it('does not read one provider’s fields for the other', () => {
    expect(usageFromJson('messages', { usage: { prompt_tokens: 1, completion_tokens: 2 } })).toBe(
      undefined,
    );
    expect(
      usageFromJson('chat.completions', { usage: { input_tokens: 1, output_tokens: 2 } }),
    ).toBe(undefined);
  });

  it('counts a missing half as zero', () => {
    expect(usageFromJson('chat.completions', { usage: { prompt_tokens: 7 } })).toEqual({
      input: 7,
      output: 0,
    });
  });

  it.each([
    ['no body', undefined],
    ['a string body', 'usage'],
    ['no usage', { id: 'x' }],
    ['null usage', { usage: null }],
    ['non-numeric counts', { usage: { prompt_tokens: '3', completion_tokens: -1 } }],
    ['fractional counts', { usage: { prompt_tokens: 1.5 } }],
  ])('is undefined for %s', (_name, body) => {
    expect(usageFromJson('chat.completions', body)).toBeUndefined();
  });
});

const sse = (events: Array<{ event?: string; data: unknown }>) =>
  events
    .map(({ event, data }) => {
      const payload = typeof data === 'string' ? data : JSON.stringify(data);
      return `${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`;
    })
    .join('');

/** Feeds text split into pieces of `size` characters. */
function track(endpoint: 'chat.completions' | 'messages', text: string, size = text.length) {
  const tracker = new StreamUsageTracker(endpoint);
  for (let i = 0; i < text.length; i += size) tracker.feed(text.slice(i, i + size));
  return tracker.usage();
}

describe('StreamUsageTracker: OpenAI', () => {
  const stream = sse([
    { data: { choices: [{ delta: { content: 'Hel' } }], usage: null } },
    { data: { choices: [{ delta: { content: 'lo' } }], usage: null } },
    { data: { choices: [], usage: { prompt_tokens: 9, completion_tokens: 2 } } },
    { data: '[DONE]' },
  ]);

  it('reads the usage chunk, however the text is split', () => {
    for (const size of [1, 2, 3, 5, 17, stream.length]) {
      expect(track('chat.completions', stream, size)).toEqual({ input: 9, output: 2 });
    }
  });

  it('is undefined when the stream carries no usage', () => {
    const plain = sse([{ data: { choices: [{ delta: { content: 'x' } }] } }, { data: '[DONE]' }]);
    expect(track('chat.completions', plain)).toBeUndefined();
  });

  it('keeps the last usage seen', () => {
    const cumulative = sse([
      { data: { usage: { prompt_tokens: 9, completion_tokens: 1 } } },
      { data: { usage: { prompt_tokens: 9, completion_tokens: 4 } } },
    ]);
    expect(track('chat.completions', cumulative)).toEqual({ input: 9, output: 4 });
  });

  it('ignores malformed JSON and non-object data without throwing', () => {
    const messy = 'data: {not json\n\ndata: 42\n\ndata: null\n\n' + stream;
    expect(track('chat.completions', messy)).toEqual({ input: 9, output: 2 });
  });
});

describe('StreamUsageTracker: Anthropic', () => {
  const stream = sse([
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: 'msg_1',
          usage: {
            input_tokens: 25,
            cache_creation_input_tokens: 5,
            cache_read_input_tokens: 70,
            output_tokens: 1,
          },
        },
      },
    },
    { event: 'ping', data: { type: 'ping' } },
    {
      event: 'content_block_delta',
      data: { type: 'content_block_delta', delta: { text: '{"usage":{"output_tokens":999}}' } },
    },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn' },
        usage: { output_tokens: 15 },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ]);

  it('takes input from message_start and output from message_delta, however split', () => {
    for (const size of [1, 4, 13, stream.length]) {
      expect(track('messages', stream, size)).toEqual({ input: 100, output: 15 });
    }
  });

  it('reports the input when the stream is cut before message_delta', () => {
    const cut = stream.slice(0, stream.indexOf('event: message_delta'));
    expect(track('messages', cut)).toEqual({ input: 100, output: 1 });
  });

  it('uses the last message_delta and its cumulative input when present', () => {
    const twoDeltas =
      stream +
      sse([
        {
          event: 'message_delta',
          data: {
            type: 'message_delta',
            usage: { input_tokens: 30, cache_read_input_tokens: 70, output_tokens: 40 },
          },
        },
      ]);
    expect(track('messages', twoDeltas)).toEqual({ input: 100, output: 40 });
  });

  it('recognises events by the event line when the data has no type', () => {
    const untyped = sse([
      { event: 'message_start', data: { message: { usage: { input_tokens: 3 } } } },
      { event: 'message_delta', data: { usage: { output_tokens: 4 } } },
    ]);
    expect(track('messages', untyped)).toEqual({ input: 3, output: 4 });
  });

  it('ignores malformed events and is undefined without usage', () => {
    const tracker = new StreamUsageTracker('messages');
    expect(() => {
      tracker.feed('event: message_start\ndata: {"type":"message_start","message":\n\n');
      tracker.feed('event: message_delta\ndata: {"type":"message_delta","usage":"x"}\n\n');
      tracker.feed('data: [DONE]\n\n');
    }).not.toThrow();
    expect(tracker.usage()).toBeUndefined();
  });

  it('does not read OpenAI-style usage on the Anthropic endpoint', () => {
    expect(track('messages', sse([{ data: { usage: { input_tokens: 1 } } }]))).toBeUndefined();
  });
});
