import { validateRequestBody } from './request-schemas.js';

const chat = () => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'hi' }],
});

const messages = () => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'hi' }],
});

/** The error message for an invalid body; fails the test if the body is accepted. */
function errorOf(endpoint: 'chat.completions' | 'messages', body: unknown): string {
  const result = validateRequestBody(endpoint, body);
  if (result.ok) throw new Error(`expected ${JSON.stringify(body)} to be rejected`);
  return result.message;
}

describe('validateRequestBody: chat.completions', () => {
  it('accepts a minimal body, not streaming', () => {
    const body = chat();
    const result = validateRequestBody('chat.completions', body);
    expect(result).toEqual({ ok: true, value: { model: 'gpt-4o-mini', stream: false, body } });
  });

  it('returns the original object with unknown fields untouched', () => {
    const body = {
      ...chat(),
      stream: true,
      stream_options: { include_usage: true },
      reasoning_effort: 'high',
      messages: [{ role: 'developer', content: [{ type: 'text', text: 'x' }], name: 'n' }],
      some_future_field: { nested: [1, 2, 3] },
    };
    const snapshot = structuredClone(body);
    const result = validateRequestBody('chat.completions', body);
    expect(result.ok && result.value.body).toBe(body);
    expect(body).toEqual(snapshot);
    expect(result.ok && result.value.stream).toBe(true);
  });

  it('accepts the optional limits within range, and nulls', () => {
    for (const extra of [
      { max_tokens: 1, max_completion_tokens: 1_000_000, n: 16 },
      { max_tokens: null, max_completion_tokens: null, n: null, stream: null },
      { n: 1 },
    ]) {
      expect(validateRequestBody('chat.completions', { ...chat(), ...extra }).ok).toBe(true);
    }
  });

  it.each([
    ['a non-object', 'hello', 'body must be a JSON object'],
    ['null', null, 'body must be a JSON object'],
    ['an array', [chat()], 'body must be a JSON object'],
    ['a missing model', { messages: chat().messages }, 'model is required'],
    ['a non-string model', { ...chat(), model: 4 }, 'model must be a string'],
    ['an empty model', { ...chat(), model: '' }, 'model must not be empty'],
    ['a long model', { ...chat(), model: 'm'.repeat(201) }, 'model must be at most 200 characters'],
    ['missing messages', { model: 'm' }, 'messages is required'],
    ['non-array messages', { ...chat(), messages: 'hi' }, 'messages must be a non-empty array'],
    ['empty messages', { ...chat(), messages: [] }, 'messages must be a non-empty array'],
    [
      'too many messages',
      { ...chat(), messages: Array.from({ length: 2001 }, () => ({ role: 'user' })) },
      'messages must have at most 2000 items',
    ],
    [
      'a non-object message',
      { ...chat(), messages: [{ role: 'user' }, 'hi'] },
      'messages[1] must be an object',
    ],
    [
      'a message without role',
      { ...chat(), messages: [{ content: 'x' }] },
      'messages[0].role is required',
    ],
    [
      'a non-string role',
      { ...chat(), messages: [{ role: 1 }] },
      'messages[0].role must be a string',
    ],
    ['a non-boolean stream', { ...chat(), stream: 'yes' }, 'stream must be a boolean'],
    ['a zero max_tokens', { ...chat(), max_tokens: 0 }, 'max_tokens must be a positive integer'],
    [
      'a fractional max_tokens',
      { ...chat(), max_tokens: 1.5 },
      'max_tokens must be a positive integer',
    ],
    [
      'a string max_completion_tokens',
      { ...chat(), max_completion_tokens: '10' },
      'max_completion_tokens must be a positive integer',
    ],
    [
      'a huge max_completion_tokens',
      { ...chat(), max_completion_tokens: 1_000_001 },
      'max_completion_tokens must be at most 1000000',
    ],
    ['n of 0', { ...chat(), n: 0 }, 'n must be an integer from 1 to 16'],
    ['n of 17', { ...chat(), n: 17 }, 'n must be an integer from 1 to 16'],
    ['a fractional n', { ...chat(), n: 2.5 }, 'n must be an integer from 1 to 16'],
  ])('rejects %s', (_name, body, message) => {
    expect(errorOf('chat.completions', body)).toBe(message);
  });

  it('accepts exactly 2000 messages and a 200-character model', () => {
    const body = {
      model: 'm'.repeat(200),
      messages: Array.from({ length: 2000 }, () => ({ role: 'user' })),
    };
    expect(validateRequestBody('chat.completions', body).ok).toBe(true);
  });
});

describe('validateRequestBody: messages', () => {
  it('accepts a minimal body, not streaming', () => {
    const body = messages();
    const result = validateRequestBody('messages', body);
    expect(result).toEqual({
      ok: true,
      value: { model: 'claude-sonnet-4-5', stream: false, body },
    });
  });

  it('returns the original object with unknown fields untouched', () => {
    const body = {
      ...messages(),
      stream: true,
      system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }],
      thinking: { type: 'enabled', budget_tokens: 2000 },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        { role: 'assistant', content: 'hello', extra: 1 },
      ],
      metadata: { user_id: 'u' },
    };
    const snapshot = structuredClone(body);
    const result = validateRequestBody('messages', body);
    expect(result.ok && result.value.body).toBe(body);
    expect(result.ok && result.value.stream).toBe(true);
    expect(body).toEqual(snapshot);
  });

  it('accepts a string system prompt', () => {
    expect(validateRequestBody('messages', { ...messages(), system: 'be brief' }).ok).toBe(true);
  });

  it.each([
    ['a non-object', 42, 'body must be a JSON object'],
    ['a missing model', { ...messages(), model: undefined }, 'model is required'],
    ['an empty model', { ...messages(), model: '' }, 'model must not be empty'],
    ['missing max_tokens', { ...messages(), max_tokens: undefined }, 'max_tokens is required'],
    [
      'null max_tokens',
      { ...messages(), max_tokens: null },
      'max_tokens must be a positive integer',
    ],
    [
      'negative max_tokens',
      { ...messages(), max_tokens: -1 },
      'max_tokens must be a positive integer',
    ],
    [
      'huge max_tokens',
      { ...messages(), max_tokens: 2_000_000 },
      'max_tokens must be at most 1000000',
    ],
    ['empty messages', { ...messages(), messages: [] }, 'messages must be a non-empty array'],
    [
      'a system role message',
      { ...messages(), messages: [{ role: 'system', content: 'x' }] },
      "messages[0].role must be 'user' or 'assistant'",
    ],
    [
      'a message without role',
      { ...messages(), messages: [{ content: 'x' }] },
      'messages[0].role is required',
    ],
    [
      'a message without content',
      { ...messages(), messages: [{ role: 'user', content: 'a' }, { role: 'assistant' }] },
      'messages[1].content is required',
    ],
    [
      'an object content',
      { ...messages(), messages: [{ role: 'user', content: { text: 'x' } }] },
      'messages[0].content must be a string or an array',
    ],
    ['a numeric system', { ...messages(), system: 3 }, 'system must be a string or an array'],
    ['a non-boolean stream', { ...messages(), stream: 1 }, 'stream must be a boolean'],
  ])('rejects %s', (_name, body, message) => {
    expect(errorOf('messages', body)).toBe(message);
  });
});
