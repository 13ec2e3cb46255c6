import { runInNewContext } from 'node:vm';
import { z } from 'zod';

/** Long enough that a quadratic or worse pattern cannot finish in time, short for a linear one. */
const PROBE_LENGTH = 32 * 1024;
const PROBE_TIMEOUT_MS = 500;
const PROBE_CHARS = /[A-Za-z0-9 _.:@/-]/g;

/**
 * Strings a pattern is tried on before it is trusted: each of its own literal characters (and
 * a few common ones) repeated, alone, in pairs and followed by a character that ends a match.
 */
function probesFor(source: string): string[] {
  const chars = [...new Set([...(source.match(PROBE_CHARS) ?? []), 'a', '0', ' ', '-'])].slice(
    0,
    24,
  );
  const fill = (unit: string) => unit.repeat(Math.ceil(PROBE_LENGTH / unit.length));
  const probes = chars.map((c) => `${fill(c)}!`);
  for (let i = 0; i + 1 < chars.length; i++) probes.push(`${fill(`${chars[i]}${chars[i + 1]}`)}!`);
  probes.push(`${fill(chars.join(''))}!`);
  return probes;
}

/**
 * Why a pattern may not be used, or undefined when it may: it must compile, and it must get
 * through every probe within a time bound (a vm timeout interrupts a regular expression that
 * backtracks catastrophically, where the audit app itself could not).
 */
export function redactPatternProblem(source: string): string | undefined {
  try {
    new RegExp(source, 'g');
  } catch {
    return 'is not a valid regular expression';
  }
  try {
    runInNewContext(
      'for (const probe of probes) probe.replace(new RegExp(source, "g"), "")',
      { probes: probesFor(source), source },
      { timeout: PROBE_TIMEOUT_MS },
    );
  } catch {
    return `backtracks too much: ${PROBE_TIMEOUT_MS} ms were not enough for ${PROBE_LENGTH / 1024} KiB of probe text (rewrite it without nested or overlapping repetition)`;
  }
  return undefined;
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
