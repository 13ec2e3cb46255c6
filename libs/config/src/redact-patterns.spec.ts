import { redactPatternProblem, redactPatterns } from './redact-patterns.js';

describe('AUDIT_REDACT_PATTERNS', () => {
  it('takes a JSON array, so a comma inside a pattern stays in it', () => {
    expect(redactPatterns.parse('["[A-Za-z0-9]{24,}", "corp-[0-9]{6}"]')).toEqual([
      '[A-Za-z0-9]{24,}',
      'corp-[0-9]{6}',
    ]);
  });

  it('refuses a comma-separated list, naming the expected form', () => {
    const result = redactPatterns.safeParse('corp-[0-9]{6}, internal-[a-z]+');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/JSON array/);
  });

  it('refuses an invalid pattern by position, without echoing it', () => {
    const result = redactPatterns.safeParse('["ok-[0-9]+", "secret-value-(["]');
    expect(result.success).toBe(false);
    const message = result.error?.issues[0]?.message ?? '';
    expect(message).toMatch(/^entry 2 is not a valid regular expression/);
    expect(message).not.toContain('secret-value');
  });

  it.each([
    ['nested repetition', '(a+)+$'],
    ['overlapping alternatives', '(a|a)*b'],
    ['a quadratic scan', '\\s*x\\s*$'],
  ])('refuses a pattern with %s within its time bound', (_name, source) => {
    const started = performance.now();
    expect(redactPatternProblem(source)).toMatch(/backtracks too much/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it.each(['corp-[0-9]{6}', '[A-Za-z0-9]{24,}', 'internal-ticket-[a-z]+', '\\bkey=[^&\\s]+'])(
    'accepts the linear pattern %s',
    (source) => {
      expect(redactPatternProblem(source)).toBeUndefined();
    },
  );
});
