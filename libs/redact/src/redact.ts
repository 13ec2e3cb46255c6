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
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
];

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
    return out;
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
