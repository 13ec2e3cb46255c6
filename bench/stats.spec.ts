import { median, percentile, signedPercent } from './stats.js';

describe('bench statistics', () => {
  it('takes the middle sample of an odd count, whatever the order', () => {
    expect(median([1.2, 0.9, 1.5])).toBe(1.2);
  });

  it('averages the two middle samples of an even count (two or four paired rounds)', () => {
    expect(median([1.4, 1.6])).toBeCloseTo(1.5);
    expect(median([3, 1, 4, 2])).toBe(2.5);
  });

  it('has no median and no percentile without samples', () => {
    expect(median([])).toBeNaN();
    expect(percentile([], 99)).toBeNaN();
  });

  it('reads percentiles by nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
  });

  it('signs a change in percent either way, and says n/a for none', () => {
    expect(signedPercent(0.224)).toBe('+22%');
    expect(signedPercent(-0.09)).toBe('-9%');
    expect(signedPercent(0)).toBe('0%');
    expect(signedPercent(-0.004)).toBe('0%');
    expect(signedPercent(Number.NaN)).toBe('n/a');
  });
});
