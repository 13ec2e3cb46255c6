import { AUDIT_BATCH_JOB_NAME, AUDIT_EVENTS_PER_JOB_MAX, AUDIT_JOB_NAME } from '@gatehouse/queue';
import { queuedEvents } from './queued-events.js';

describe('queuedEvents', () => {
  it("takes a batch job's events in order, each named by the job and its place", () => {
    const events = [{ n: 0 }, { n: 1 }, 'not an event'];
    expect(queuedEvents(AUDIT_BATCH_JOB_NAME, { v: 1, events }, 'j1')).toEqual([
      { raw: { n: 0 }, source: 'j1#0' },
      { raw: { n: 1 }, source: 'j1#1' },
      { raw: 'not an event', source: 'j1#2' },
    ]);
  });

  it('takes the data of any other job as one event (single-event jobs are still accepted)', () => {
    expect(queuedEvents(AUDIT_JOB_NAME, { n: 0 }, 'e1')).toEqual([{ raw: { n: 0 }, source: 'e1' }]);
    expect(queuedEvents('hand-made', [1, 2], null)).toEqual([{ raw: [1, 2], source: null }]);
  });

  it.each([
    ['not an object', 'events', /not an object/],
    ['another version', { v: 2, events: [{}] }, /version 2/],
    ['no events array', { v: 1, events: { 0: {} } }, /not an array/],
    ['no events', { v: 1, events: [] }, /no events/],
    [
      'too many events',
      { v: 1, events: Array.from({ length: AUDIT_EVENTS_PER_JOB_MAX + 1 }, () => ({})) },
      /1001 events/,
    ],
  ])('refuses a batch job with %s as one dead letter of the whole payload', (_, data, reason) => {
    const [only, ...rest] = queuedEvents(AUDIT_BATCH_JOB_NAME, data, 'j2');
    expect(rest).toHaveLength(0);
    expect(only?.raw).toBe(data);
    expect(only?.source).toBe('j2');
    expect(only?.refused).toMatch(reason);
  });
});
