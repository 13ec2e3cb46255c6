import { regexPatternProblem } from '@gatehouse/redact';

/**
 * Why a custom pattern may not be used (does not compile, or is not linear-time on probes), or
 * undefined. Probed with the flags PiiDetector compiles it with ('gu'), the way
 * AUDIT_REDACT_PATTERNS entries are.
 */
export function piiPatternProblem(source: string): string | undefined {
  return regexPatternProblem(source, 'gu');
}
