type Headers = Record<string, string | string[] | undefined>;

/** No account rests longer than this after a 429, whatever the headers say. */
export const MAX_COOLDOWN_MS = 60 * 60 * 1000;

const OPENAI_RESET_HEADERS = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens'];
const ANTHROPIC_RESET_HEADERS = [
  'anthropic-ratelimit-requests-reset',
  'anthropic-ratelimit-tokens-reset',
  'anthropic-ratelimit-input-tokens-reset',
  'anthropic-ratelimit-output-tokens-reset',
];

const DURATION_UNITS_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
const DECIMAL = /^\d+(?:\.\d+)?$/;
/** Bare numbers this large are epoch seconds, not a number of seconds to wait. */
const EPOCH_SECONDS_THRESHOLD = 1_000_000_000;

/**
 * How long an account must rest after a 429, from the response headers: `retry-after`
 * (seconds or HTTP date), `retry-after-ms`, OpenAI's `x-ratelimit-reset-*` (Go-style
 * durations such as "6m0s") and Anthropic's `anthropic-ratelimit-*-reset` (RFC 3339). The
 * largest positive value wins, capped at one hour; undefined when no header is usable.
 */
export function cooldownMsFromHeaders(
  headers: Headers,
  now: number = Date.now(),
): number | undefined {
  const lower = lowercaseHeaders(headers);
  const candidates: number[] = [];

  const retryAfter = lower.get('retry-after');
  if (retryAfter !== undefined) {
    candidates.push(
      DECIMAL.test(retryAfter) ? Number(retryAfter) * 1000 : Date.parse(retryAfter) - now,
    );
  }
  const retryAfterMs = lower.get('retry-after-ms');
  if (retryAfterMs !== undefined && DECIMAL.test(retryAfterMs)) {
    candidates.push(Number(retryAfterMs));
  }
  for (const name of OPENAI_RESET_HEADERS) {
    const value = lower.get(name);
    if (value !== undefined) candidates.push(openAiResetMs(value, now));
  }
  for (const name of ANTHROPIC_RESET_HEADERS) {
    const value = lower.get(name);
    if (value !== undefined) candidates.push(Date.parse(value) - now);
  }

  const usable = candidates.filter((ms) => Number.isFinite(ms) && ms > 0);
  if (usable.length === 0) return undefined;
  return Math.min(Math.ceil(Math.max(...usable)), MAX_COOLDOWN_MS);
}

/** Go-style duration ("1h2m3.5s", "20ms"); a bare number is seconds, or epoch seconds. */
function openAiResetMs(value: string, now: number): number {
  if (DECIMAL.test(value)) {
    const n = Number(value);
    return n >= EPOCH_SECONDS_THRESHOLD ? n * 1000 - now : n * 1000;
  }
  return parseDurationMs(value);
}

/** Milliseconds in a Go-style duration, NaN when it is not one. */
export function parseDurationMs(value: string): number {
  if (!DURATION.test(value)) return Number.NaN;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(DURATION_PART)) {
    total += Number(amount) * (DURATION_UNITS_MS[unit] ?? Number.NaN);
  }
  return total;
}

function lowercaseHeaders(headers: Headers): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value !== undefined && value.trim() !== '') map.set(name.toLowerCase(), value.trim());
  }
  return map;
}

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 500, 502, 503, 504, 529]);

/** Upstream failures worth retrying on another account (529: Anthropic overloaded). */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** The account hit a provider rate limit and must cool down. */
export function isRateLimitStatus(status: number): boolean {
  return status === 429;
}
