import { limitStateOf, tighter, waitSeconds } from './limit-state.js';

describe('tighter', () => {
  const ip = { limit: 600, remaining: 590, resetSeconds: 40 };
  const key = { limit: 60, remaining: 3, resetSeconds: 40 };

  it('reports the limit with fewer requests left', () => {
    expect(tighter(ip, key)).toBe(key);
    expect(tighter(key, ip)).toBe(key);
  });

  it('keeps the first on a tie', () => {
    const other = { ...key, limit: 100 };
    expect(tighter(key, other)).toBe(key);
  });

  it('takes whichever was counted', () => {
    expect(tighter(undefined, key)).toBe(key);
    expect(tighter(ip, undefined)).toBe(ip);
    expect(tighter(undefined, undefined)).toBeUndefined();
  });
});

describe('waitSeconds', () => {
  it('rounds up to whole seconds, never below one', () => {
    expect(waitSeconds(0)).toBe(1);
    expect(waitSeconds(1)).toBe(1);
    expect(waitSeconds(1_000)).toBe(1);
    expect(waitSeconds(1_001)).toBe(2);
    expect(waitSeconds(59_500)).toBe(60);
  });
});

describe('limitStateOf', () => {
  it('reports what is left of the window and when it ends', () => {
    expect(limitStateOf({ limit: 60, hits: 20, msLeft: 41_500 })).toEqual({
      limit: 60,
      remaining: 40,
      resetSeconds: 42,
    });
  });

  it('never reports less than nothing left, past the limit', () => {
    expect(limitStateOf({ limit: 60, hits: 75, msLeft: 10 })).toEqual({
      limit: 60,
      remaining: 0,
      resetSeconds: 1,
    });
  });
});
