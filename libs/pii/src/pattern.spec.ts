import { piiPatternProblem } from './pattern.js';

describe('piiPatternProblem', () => {
  it.each(['EMP-\\d{6}', '[A-Z]{2}\\d{8}', '\\bcase-[a-z0-9]+'])('accepts %s', (source) => {
    expect(piiPatternProblem(source)).toBeUndefined();
  });

  it('refuses a pattern that does not compile, with the u flag too', () => {
    expect(piiPatternProblem('(')).toMatch(/not a valid regular expression/);
    expect(piiPatternProblem('EMP\\-\\d+')).toMatch(/not a valid regular expression/);
  });

  it('refuses a pattern that backtracks, within its time bound', () => {
    const started = performance.now();
    expect(piiPatternProblem('(a+)+$')).toMatch(/backtracks too much/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
