import {
  MAX_COOLDOWN_MS,
  cooldownMsFromHeaders,
  isRateLimitStatus,
  isRetryableStatus,
  parseDurationMs,
} from './rate-limit.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');

describe('parseDurationMs', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['0.5s', 500],
    ['2m59.56s', 179_560],
    ['1500us', 1.5],
    ['1000000ns', 1],
  ])('parses %s', (text, ms) => {
    expect(parseDurationMs(text)).toBeCloseTo(ms, 6);
  });

  it.each(['', 's', '1', '1x', '1s ', 'abc', '-1s', '1s2'])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeNaN();
  });
});

describe('cooldownMsFromHeaders', () => {
  it('is undefined without usable headers', () => {
    expect(cooldownMsFromHeaders({}, NOW)).toBeUndefined();
    expect(cooldownMsFromHeaders({ 'content-type': 'application/json' }, NOW)).toBeUndefined();
    expect(
      cooldownMsFromHeaders(
        {
          'retry-after': 'soon',
          'retry-after-ms': 'x',
          'x-ratelimit-reset-requests': 'later',
          'anthropic-ratelimit-requests-reset': 'not a date',
        },
        NOW,
      ),
    ).toBeUndefined();
  });

  it('reads retry-after in seconds, including fractions', () => {
    expect(cooldownMsFromHeaders({ 'retry-after': '30' }, NOW)).toBe(30_000);
    expect(cooldownMsFromHeaders({ 'retry-after': '1.5' }, NOW)).toBe(1500);
  });

  it('reads retry-after as an HTTP date', () => {
    const at = new Date(NOW + 90_000).toUTCString();
    expect(cooldownMsFromHeaders({ 'retry-after': at }, NOW)).toBe(90_000);
  });

  it('ignores a retry-after of zero or in the past', () => {
    expect(cooldownMsFromHeaders({ 'retry-after': '0' }, NOW)).toBeUndefined();
    const past = new Date(NOW - 5000).toUTCString();
    expect(cooldownMsFromHeaders({ 'retry-after': past }, NOW)).toBeUndefined();
  });

  it('reads retry-after-ms', () => {
    expect(cooldownMsFromHeaders({ 'retry-after-ms': '250' }, NOW)).toBe(250);
  });

  it('takes the larger of the OpenAI reset durations', () => {
    expect(
      cooldownMsFromHeaders(
        { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' },
        NOW,
      ),
    ).toBe(360_000);
    expect(cooldownMsFromHeaders({ 'x-ratelimit-reset-requests': '20ms' }, NOW)).toBe(20);
  });

  it('reads a bare number in an OpenAI-compatible reset header as seconds or epoch seconds', () => {
    expect(cooldownMsFromHeaders({ 'x-ratelimit-reset-requests': '12' }, NOW)).toBe(12_000);
    const epoch = String((NOW + 45_000) / 1000);
    expect(cooldownMsFromHeaders({ 'x-ratelimit-reset-tokens': epoch }, NOW)).toBe(45_000);
  });

  it('takes the latest of the Anthropic reset timestamps', () => {
    const at = (ms: number) => new Date(NOW + ms).toISOString();
    expect(
      cooldownMsFromHeaders(
        {
          'anthropic-ratelimit-requests-reset': at(10_000),
          'anthropic-ratelimit-tokens-reset': at(40_000),
          'anthropic-ratelimit-input-tokens-reset': at(20_000),
          'anthropic-ratelimit-output-tokens-reset': at(30_000),
        },
        NOW,
      ),
    ).toBe(40_000);
    expect(
      cooldownMsFromHeaders(
        { 'anthropic-ratelimit-output-tokens-reset': '2025-01-01T00:00:07+00:00' },
        NOW,
      ),
    ).toBe(7000);
  });

  it('returns the largest value across all kinds', () => {
    expect(
      cooldownMsFromHeaders(
        {
          'retry-after': '5',
          'retry-after-ms': '4000',
          'x-ratelimit-reset-tokens': '7s',
          'anthropic-ratelimit-requests-reset': new Date(NOW + 3000).toISOString(),
        },
        NOW,
      ),
    ).toBe(7000);
  });

  it('caps the cooldown at one hour', () => {
    expect(MAX_COOLDOWN_MS).toBe(3_600_000);
    expect(cooldownMsFromHeaders({ 'retry-after': '86400' }, NOW)).toBe(MAX_COOLDOWN_MS);
    expect(cooldownMsFromHeaders({ 'x-ratelimit-reset-tokens': '3h' }, NOW)).toBe(MAX_COOLDOWN_MS);
  });

  it('rounds fractional milliseconds up', () => {
    expect(cooldownMsFromHeaders({ 'x-ratelimit-reset-requests': '1500us' }, NOW)).toBe(2);
  });

  it('accepts any header case and the first of repeated values', () => {
    expect(cooldownMsFromHeaders({ 'Retry-After': ['3', '100'] }, NOW)).toBe(3000);
  });

  it('uses the current time by default', () => {
    const at = new Date(Date.now() + 120_000).toUTCString();
    const ms = cooldownMsFromHeaders({ 'retry-after': at });
    expect(ms).toBeGreaterThan(110_000);
    expect(ms).toBeLessThanOrEqual(120_000);
  });
});

describe('status classification', () => {
  it.each([408, 425, 500, 502, 503, 504, 529])('retries %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
  });

  it.each([200, 400, 401, 403, 404, 409, 413, 422, 429, 501, 505])(
    'does not retry %i',
    (status) => {
      expect(isRetryableStatus(status)).toBe(false);
    },
  );

  it('treats only 429 as a rate limit', () => {
    expect(isRateLimitStatus(429)).toBe(true);
    for (const status of [200, 408, 503, 529]) expect(isRateLimitStatus(status)).toBe(false);
  });
});
