import {
  ATTEMPTS_BEFORE_SPLIT,
  closesBatch,
  FIRST_ATTEMPT,
  nextAttempt,
  RETRY_MAX_MS,
  RETRY_MIN_MS,
  type WriteAttempt,
  writesOneByOne,
} from './ingest-batching.js';

/** The attempts a batch goes through when every try fails, `unavailable` saying why each did. */
function attempts(unavailable: boolean[]): { oneByOne: boolean; waitMs: number }[] {
  let attempt: WriteAttempt = FIRST_ATTEMPT;
  return unavailable.map((outage) => {
    const step = { oneByOne: writesOneByOne(attempt), waitMs: attempt.delayMs };
    attempt = nextAttempt(attempt, outage);
    return step;
  });
}

describe('closesBatch', () => {
  it('keeps the batch open until it is full', () => {
    expect(closesBatch(1, 50, false)).toBe(false);
    expect(closesBatch(49, 50, false)).toBe(false);
    expect(closesBatch(50, 50, false)).toBe(true);
  });

  it('closes a batch of one when the size is one', () => {
    expect(closesBatch(1, 1, false)).toBe(true);
  });

  it('closes at once while stopping, however small the batch', () => {
    expect(closesBatch(1, 50, true)).toBe(true);
  });
});

describe('retrying a batch', () => {
  it('starts whole, with the shortest wait', () => {
    expect(writesOneByOne(FIRST_ATTEMPT)).toBe(false);
    expect(FIRST_ATTEMPT.delayMs).toBe(RETRY_MIN_MS);
  });

  it('doubles the wait up to the cap, and splits after ATTEMPTS_BEFORE_SPLIT refusals', () => {
    expect(ATTEMPTS_BEFORE_SPLIT).toBe(3);
    expect(attempts(Array<boolean>(8).fill(false))).toEqual([
      { oneByOne: false, waitMs: 250 },
      { oneByOne: false, waitMs: 500 },
      { oneByOne: false, waitMs: 1_000 },
      { oneByOne: true, waitMs: 2_000 },
      { oneByOne: true, waitMs: 4_000 },
      { oneByOne: true, waitMs: RETRY_MAX_MS },
      { oneByOne: true, waitMs: RETRY_MAX_MS },
      { oneByOne: true, waitMs: RETRY_MAX_MS },
    ]);
  });

  it('never splits during an outage, however long, but still backs off', () => {
    const steps = attempts(Array<boolean>(20).fill(true));
    expect(steps.every((s) => !s.oneByOne)).toBe(true);
    expect(steps.map((s) => s.waitMs).slice(0, 6)).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000]);
    expect(steps.at(-1)?.waitMs).toBe(RETRY_MAX_MS);
  });

  it('counts refusals before an outage towards the split, and only those', () => {
    // refused twice, then Postgres goes away twice, then refuses again
    const steps = attempts([false, false, true, true, false, false]);
    expect(steps.map((s) => s.oneByOne)).toEqual([false, false, false, false, false, true]);
  });

  it('goes back to writing the batch whole when Postgres goes away during the split', () => {
    const steps = attempts([false, false, false, true, false, false]);
    expect(steps.map((s) => s.oneByOne)).toEqual([false, false, false, true, false, true]);
  });
});
