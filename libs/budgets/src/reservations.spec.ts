import { randomUUID } from 'node:crypto';
import { type Lease, decodeLease, encodeLease, leaseWriter } from './reservations.js';

/** The lease's wire format, spelled out: what every gateway and worker of a deployment reads. */
function asJson(lease: Lease): string {
  return JSON.stringify({
    r: lease.requestId,
    c: lease.counters.map((c) => [c.key, c.unit, c.amount, c.keepMs]),
  });
}

describe('lease encoding', () => {
  const counters = [
    { key: '{gh}{limits}:budget:tokens_per_minute:k1:2026-12-05T08:24', unit: 'tokens' as const },
    { key: '{gh}{limits}:usage:tokens:k1:2026-12-05', unit: 'tokens' as const },
    { key: '{gh}{limits}:budget:requests_per_day:k1:2026-12-05', unit: 'requests' as const },
    { key: 'odd "quoted" \\ key é', unit: 'cost' as const },
  ].map((c, i) => ({ ...c, keepMs: 600_000 * (i + 1) }));

  it('writes, from pieces built once, what the JSON encoding writes', () => {
    for (let n = 0; n <= counters.length; n++) {
      const some = counters.slice(0, n);
      const write = leaseWriter(some);
      for (const amounts of [some.map((_, i) => 4_100 + i), some.map(() => 0)]) {
        const lease = {
          requestId: randomUUID(),
          counters: some.map((c, i) => ({ ...c, amount: amounts[i] ?? 0 })),
        };
        expect(write(lease.requestId, amounts)).toBe(asJson(lease));
        expect(encodeLease(lease)).toBe(asJson(lease));
        expect(decodeLease(write(lease.requestId, amounts))).toEqual(lease);
      }
    }
  });

  it('changes only with the request id and the amounts', () => {
    const write = leaseWriter(counters);
    const id = randomUUID();
    expect(write(id, [1, 2, 3, 4])).toBe(write(id, [1, 2, 3, 4]));
    expect(write(id, [1, 2, 3, 4])).not.toBe(write(id, [1, 2, 3, 5]));
    expect(write(id, [1, 2, 3, 4])).not.toBe(write(randomUUID(), [1, 2, 3, 4]));
  });

  it('refuses a member that is not a lease', () => {
    expect(decodeLease('not json')).toBeUndefined();
    expect(decodeLease('{"r":"x","c":[["k","litres",1,1]]}')).toBeUndefined();
  });
});
