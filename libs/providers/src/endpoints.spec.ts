import {
  DEFAULT_ANTHROPIC_VERSION,
  ENDPOINTS,
  FORWARDED_CLIENT_HEADERS,
  pickForwardedHeaders,
  upstreamAuthHeaders,
  upstreamUrl,
} from './endpoints.js';

describe('ENDPOINTS', () => {
  it('maps each client endpoint to its provider wire format', () => {
    expect(ENDPOINTS['chat.completions']).toEqual({
      provider: 'openai',
      upstreamPath: '/chat/completions',
    });
    expect(ENDPOINTS.messages).toEqual({ provider: 'anthropic', upstreamPath: '/v1/messages' });
  });
});

describe('upstreamUrl', () => {
  it.each([
    ['https://api.openai.com/v1', 'chat.completions', 'https://api.openai.com/v1/chat/completions'],
    [
      'https://api.openai.com/v1/',
      'chat.completions',
      'https://api.openai.com/v1/chat/completions',
    ],
    ['https://api.poe.com/v1//', 'chat.completions', 'https://api.poe.com/v1/chat/completions'],
    ['http://localhost:8080/v1', 'chat.completions', 'http://localhost:8080/v1/chat/completions'],
    ['https://api.anthropic.com', 'messages', 'https://api.anthropic.com/v1/messages'],
    ['https://api.anthropic.com/', 'messages', 'https://api.anthropic.com/v1/messages'],
    ['https://api.anthropic.com/v1', 'messages', 'https://api.anthropic.com/v1/messages'],
    ['https://proxy.example/anthropic/', 'messages', 'https://proxy.example/anthropic/v1/messages'],
  ] as const)('joins %s and %s', (base, endpoint, expected) => {
    expect(upstreamUrl(base, endpoint)).toBe(expected);
  });
});

describe('upstreamAuthHeaders', () => {
  it('uses a bearer token for openai and x-api-key for anthropic', () => {
    expect(upstreamAuthHeaders('openai', 'sk-1')).toEqual({ authorization: 'Bearer sk-1' });
    expect(upstreamAuthHeaders('anthropic', 'sk-ant-1')).toEqual({ 'x-api-key': 'sk-ant-1' });
  });
});

describe('pickForwardedHeaders', () => {
  const client = {
    authorization: 'Bearer gk_secret',
    'x-api-key': 'gk_secret',
    cookie: 'a=b',
    connection: 'keep-alive',
    host: 'gateway',
    'anthropic-version': ' 2023-06-01 ',
    'anthropic-beta': ['tools-2024-04-04', 'prompt-caching-2024-07-31'],
    'openai-beta': 'assistants=v2',
    'content-length': '12',
  };

  it('keeps only the anthropic allowlist, trimmed, joining repeated values', () => {
    expect(pickForwardedHeaders('anthropic', client)).toEqual({
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'tools-2024-04-04, prompt-caching-2024-07-31',
    });
  });

  it('keeps only the openai allowlist', () => {
    expect(pickForwardedHeaders('openai', client)).toEqual({ 'openai-beta': 'assistants=v2' });
  });

  it('matches names case-insensitively and emits lowercase names', () => {
    expect(pickForwardedHeaders('anthropic', { 'Anthropic-Version': '2023-06-01' })).toEqual({
      'anthropic-version': '2023-06-01',
    });
  });

  it.each([
    ['CR/LF', 'a\r\nx-api-key: b'],
    ['a bare LF', 'a\nb'],
    ['a NUL', 'a\u0000b'],
    ['more than 200 characters', 'x'.repeat(201)],
    ['only whitespace', '   '],
  ])('drops a value with %s', (_name, value) => {
    expect(pickForwardedHeaders('anthropic', { 'anthropic-beta': value })).toEqual({});
  });

  it('accepts a value of exactly 200 characters and ignores undefined', () => {
    const value = 'x'.repeat(200);
    expect(
      pickForwardedHeaders('anthropic', {
        'anthropic-beta': value,
        'anthropic-version': undefined,
      }),
    ).toEqual({ 'anthropic-beta': value });
  });

  it('never allowlists a credential or hop-by-hop header', () => {
    const all = [...FORWARDED_CLIENT_HEADERS.openai, ...FORWARDED_CLIENT_HEADERS.anthropic];
    for (const name of ['authorization', 'x-api-key', 'cookie', 'connection', 'host']) {
      expect(all).not.toContain(name);
    }
    expect(all.every((name) => name === name.toLowerCase())).toBe(true);
  });

  it('has a default anthropic-version', () => {
    expect(DEFAULT_ANTHROPIC_VERSION).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
