import { z } from 'zod';
import { redactPatternProblem } from './redact-patterns.js';

const EXAMPLE = '[{"name":"employee_id","pattern":"EMP-[0-9]{6}"}]';
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * PII_CUSTOM_PATTERNS: a JSON array of `{name, pattern}`. Each pattern must compile and pass the
 * same linear-time probe as the audit redaction patterns: it runs on every prompt. Entries are
 * named by position in errors, never echoed.
 */
export const piiPatterns = z.string().transform((raw, ctx): { name: string; pattern: string }[] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.every(
      (p: unknown) =>
        typeof p === 'object' &&
        p !== null &&
        typeof (p as { name?: unknown }).name === 'string' &&
        NAME.test((p as { name: string }).name) &&
        typeof (p as { pattern?: unknown }).pattern === 'string' &&
        (p as { pattern: string }).pattern.length > 0,
    );
  if (!valid) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a JSON array of {name, pattern} (name: a letter, then letters, digits or _; up to 32), e.g. ${EXAMPLE}`,
    });
    return z.NEVER;
  }
  const entries = parsed as { name: string; pattern: string }[];
  entries.forEach(({ pattern }, i) => {
    const problem = redactPatternProblem(pattern);
    if (problem) ctx.addIssue({ code: 'custom', message: `entry ${i + 1} ${problem}` });
  });
  return entries.map(({ name, pattern }) => ({ name, pattern }));
});
