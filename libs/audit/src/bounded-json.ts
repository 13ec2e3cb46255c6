/**
 * Characters kept past a cap before redacting: a secret that starts before the cut and is
 * shorter than this is still seen whole by the redactor, so cutting never leaves a fragment of
 * a credential that no pattern recognises.
 */
export const REDACTION_MARGIN_CHARS = 4096;

/** Nesting kept; deeper values become null (the gateway refuses bodies nested deeper anyway). */
const MAX_DEPTH = 64;

export type Bounded = { value: unknown; cut: boolean };

/**
 * A copy of a JSON value with at most about `budget` characters of strings and keys, taken in
 * document order: strings keep their first characters, arrays and objects their first members.
 * Redaction costs time in proportion to what it reads, so whatever is stored under a cap is
 * bounded first and redacted after: the cost then follows the cap, not what a client sent.
 */
export function boundJson(value: unknown, budget: number): Bounded {
  let left = budget;
  let cut = false;
  const visit = (input: unknown, depth: number): unknown => {
    if (typeof input === 'string') {
      if (input.length <= left) {
        left -= input.length;
        return input;
      }
      cut = true;
      const kept = input.slice(0, Math.max(0, left));
      left = 0;
      return kept;
    }
    if (input === null || typeof input !== 'object') {
      left -= 8; // a number, boolean or null, as about as much JSON
      return input;
    }
    if (depth >= MAX_DEPTH) {
      cut = true;
      return null;
    }
    if (Array.isArray(input)) {
      const out: unknown[] = [];
      for (const item of input) {
        if (left <= 0) {
          cut = true;
          break;
        }
        out.push(visit(item, depth + 1));
      }
      return out;
    }
    // No prototype: a `__proto__` member stays a member, as JSON.parse made it.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [key, item] of Object.entries(input)) {
      if (left <= 0) {
        cut = true;
        break;
      }
      left -= key.length;
      out[key.slice(0, REDACTION_MARGIN_CHARS)] = visit(item, depth + 1);
    }
    return out;
  };
  return { value: visit(value, 0), cut };
}

/** The first `max` characters of `text`, plus the margin the redactor needs to see (see above). */
export function boundText(text: string, max: number): string {
  return text.length <= max + REDACTION_MARGIN_CHARS
    ? text
    : text.slice(0, max + REDACTION_MARGIN_CHARS);
}
