export const REDACTED = '[REDACTED]';

/** Field names whose values are credentials whatever they look like. */
const SENSITIVE_FIELD =
  /^(authorization|proxy-authorization|x-api-key|api[-_]?key|cookie|set-cookie|password|passwd|secret|client[-_]?secret|token|access[-_]?token|refresh[-_]?token|cf-access-jwt-assertion)$/i;

/** Values that look like credentials wherever they appear. */
const SECRET_PATTERNS: RegExp[] = [
  /\bgk_[0-9a-f]{8}_[A-Za-z0-9]{8,}/g, // gateway client keys
  /\bgha_[0-9a-f]{16,}/g, // generated admin keys
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g, // OpenAI / Anthropic style keys
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\bBasic\s+[A-Za-z0-9+/=]{8,}/g,
];

/**
 * JWTs (`eyJ…` header, 8+ characters per part), found in linear time. The direct pattern
 * (`\beyJ[…]{8,}\.[…]{8,}\.[…]{8,}`) is quadratic: every `eyJ` inside one long run of
 * base64url characters rescans the rest of the run (16 KiB of `eyJ-` cost 110 ms). Instead,
 * three dot-separated runs are matched only where a run starts (each character is scanned a
 * bounded number of times), and the token is looked for inside the first run by hand.
 */
const JWT_CANDIDATE = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;
const JWT_PART_MIN = 8;
const WORD_CHAR = /[A-Za-z0-9_]/;

/** Where the token starts inside a JWT-shaped candidate (`a.b.c`), or -1 when it holds none. */
function jwtStart(candidate: string): number {
  const [first = '', second = '', third = ''] = candidate.split('.');
  if (second.length < JWT_PART_MIN || third.length < JWT_PART_MIN) return -1;
  // The leftmost `eyJ` at a word boundary with 8+ characters after it, as `\beyJ` would find.
  for (let at = first.indexOf('eyJ'); at !== -1; at = first.indexOf('eyJ', at + 1)) {
    if (first.length - at - 3 < JWT_PART_MIN) break;
    if (at === 0 || !WORD_CHAR.test(first.charAt(at - 1))) return at;
  }
  return -1;
}

function redactJwts(text: string): string {
  if (!text.includes('eyJ')) return text;
  return text.replace(JWT_CANDIDATE, (candidate) => {
    const at = jwtStart(candidate);
    return at === -1 ? candidate : candidate.slice(0, at) + REDACTED;
  });
}

/** A credential-looking span of a text: `text.slice(start, end)`. */
export type CredentialSpan = { start: number; end: number };

/**
 * Where credential-looking values occur in a text (the patterns the redactor removes, JWTs
 * included), in linear time. Overlapping spans are merged; the result is ordered by start.
 * Configured exact secrets are not looked for: they belong to a redactor.
 */
export function findCredentials(text: string): CredentialSpan[] {
  const spans: CredentialSpan[] = [];
  for (const pattern of SECRET_PATTERNS) {
    // matchAll works on a copy of the pattern, so its shared lastIndex is never touched.
    for (const m of text.matchAll(pattern)) {
      spans.push({ start: m.index, end: m.index + m[0].length });
    }
  }
  if (text.includes('eyJ')) {
    for (const m of text.matchAll(JWT_CANDIDATE)) {
      const at = jwtStart(m[0]);
      if (at !== -1) spans.push({ start: m.index + at, end: m.index + m[0].length });
    }
  }
  if (spans.length < 2) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: CredentialSpan[] = [spans[0]];
  for (const span of spans.slice(1)) {
    const last = merged[merged.length - 1];
    if (span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push(span);
  }
  return merged;
}

export type Redactor = {
  text(value: string): string;
  value<T>(value: T): T;
};

/**
 * Builds a redactor that removes credential-looking values and the exact values of the
 * given secrets (so a configured secret is hidden even if it matches no pattern).
 */
export function createRedactor(exactSecrets: readonly (string | undefined)[] = []): Redactor {
  const exact = exactSecrets.filter((s): s is string => typeof s === 'string' && s.length >= 8);

  const text = (input: string): string => {
    let out = input;
    for (const secret of exact) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
    return redactJwts(out);
  };

  const walk = (input: unknown, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof input === 'string') return text(input);
    if (input === null || typeof input !== 'object') return input;
    if (depth > 8 || seen.has(input)) return '[Truncated]';
    seen.add(input);
    if (Array.isArray(input)) return input.map((v) => walk(v, depth + 1, seen));
    if (input instanceof Error) {
      return {
        type: input.name,
        message: text(input.message),
        stack: input.stack && text(input.stack),
      };
    }
    if (input instanceof Date) return input;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(input)) {
      out[key] = SENSITIVE_FIELD.test(key) && v != null ? REDACTED : walk(v, depth + 1, seen);
    }
    return out;
  };

  return { text, value: <T>(v: T) => walk(v, 0, new WeakSet()) as T };
}
