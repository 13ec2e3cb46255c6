import { limitsKey, slotSetKey, slotSetKeyTest } from './usage-keys.js';

describe('slotSetKeyTest', () => {
  const isSlotSet = slotSetKeyTest('gh');

  it("accepts the prefix's per-key and per-address slot sets", () => {
    expect(isSlotSet(slotSetKey('gh', 'inflight:key', 'key-1'))).toBe(true);
    expect(isSlotSet(slotSetKey('gh', 'streams:ip', '203.0.113.7'))).toBe(true);
  });

  it('refuses what job data could name instead: other admission state, other prefixes', () => {
    expect(isSlotSet(limitsKey('gh', 'lockout:203.0.113.7'))).toBe(false);
    expect(isSlotSet(limitsKey('gh', 'tokens:key-1'))).toBe(false);
    expect(isSlotSet(slotSetKey('other', 'inflight:key', 'key-1'))).toBe(false);
    expect(isSlotSet('gh:bull:proxy:1')).toBe(false);
    expect(isSlotSet('')).toBe(false);
  });
});
