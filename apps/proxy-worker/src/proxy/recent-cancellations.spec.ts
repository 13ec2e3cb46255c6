import { RecentCancellations } from './recent-cancellations.js';

describe('RecentCancellations', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => (now = 1_000));

  it('says a remembered request was cancelled, once', () => {
    const cancelled = new RecentCancellations(60_000, 100, clock);
    cancelled.add('r1');
    expect(cancelled.take('r2')).toBe(false);
    expect(cancelled.take('r1')).toBe(true);
    expect(cancelled.take('r1')).toBe(false);
  });

  it('forgets a cancellation after its memory', () => {
    const cancelled = new RecentCancellations(60_000, 100, clock);
    cancelled.add('r1');
    now += 60_001;
    expect(cancelled.take('r1')).toBe(false);
  });

  it('drops expired entries as new ones come, and keeps at most `max`, the oldest going first', () => {
    const cancelled = new RecentCancellations(60_000, 3, clock);
    cancelled.add('old');
    now += 60_001;
    cancelled.add('a');
    expect(cancelled.size).toBe(1);
    cancelled.add('b');
    cancelled.add('c');
    cancelled.add('d');
    expect(cancelled.size).toBe(3);
    expect(cancelled.take('a')).toBe(false);
    expect(['b', 'c', 'd'].map((id) => cancelled.take(id))).toEqual([true, true, true]);
  });

  it('counts a repeated cancellation from its latest time', () => {
    const cancelled = new RecentCancellations(60_000, 2, clock);
    cancelled.add('a');
    cancelled.add('b');
    cancelled.add('a'); // now the newest: 'b' goes first
    cancelled.add('c');
    expect(cancelled.take('b')).toBe(false);
    expect(cancelled.take('a')).toBe(true);
  });
});
