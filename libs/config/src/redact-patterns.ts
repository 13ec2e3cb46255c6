import { regexPatternProblem } from '@gatehouse/redact';
import { z } from 'zod';

/**
 * Why a pattern may not be used, or undefined when it may: it must compile, and it must get
 * through every probe within a time bound (see regexPatternProblem in @gatehouse/redact).
 */
export function redactPatternProblem(source: string): string | undefined {
  return regexPatternProblem(source, 'g');
}

const EXAMPLE = '["corp-[0-9]{6}", "[A-Za-z0-9]{24,}"]';

/**
 * AUDIT_REDACT_PATTERNS: a JSON array of regular expressions (a comma may belong to a pattern,
 * as in `{24,}`). Entries are named by position in errors, never echoed: an operator may have
 * pasted a secret into one.
 */
export const redactPatterns = z.string().transform((raw, ctx): string[] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string' && p.length > 0)) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a JSON array of regular expressions, e.g. ${EXAMPLE}`,
    });
    return z.NEVER;
  }
  const patterns = parsed as string[];
  patterns.forEach((source, i) => {
    const problem = redactPatternProblem(source);
    if (problem) ctx.addIssue({ code: 'custom', message: `entry ${i + 1} ${problem}` });
  });
  return patterns;
});
