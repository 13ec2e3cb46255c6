import { type RedisClient, RedisScript } from '@gatehouse/queue';
import { type BudgetUnit, reservationLeasesKey } from './budget-periods.js';
import { type ModelPrice, costMicros } from './prices.js';

/** One counter a reservation holds an amount of (amount in the counter's unit). */
export type LeaseCounter = { key: string; unit: BudgetUnit; amount: number; keepMs: number };

/**
 * A reservation as it sits in the leases set: a self-contained member string, so whoever settles
 * or reclaims it (the worker, any gateway's reconciler) knows which counters to give back to
 * without another lookup, and one ZREM decides who does it.
 */
export type Lease = { requestId: string; counters: LeaseCounter[] };

export function encodeLease(lease: Lease): string {
  return leaseWriter(lease.counters)(
    lease.requestId,
    lease.counters.map((c) => c.amount),
  );
}

/** Writes leases of one set of counters: per request only its id and amounts change. */
export type LeaseWriter = (requestId: string, amounts: readonly number[]) => string;

/**
 * The lease encoding (`{"r":id,"c":[[key,unit,amount,keepMs],…]}`, what decodeLease reads) split
 * around the parts that change per request, so that a key's counters are serialized once per
 * period rather than once per request.
 */
export function leaseWriter(counters: readonly Omit<LeaseCounter, 'amount'>[]): LeaseWriter {
  // What comes before amount i (a comma after the first, the counter's key and unit), and after.
  const before = counters.map(
    (c, i) => `${i === 0 ? '' : ','}[${JSON.stringify(c.key)},${JSON.stringify(c.unit)},`,
  );
  const after = counters.map((c) => `,${JSON.stringify(c.keepMs)}]`);
  return (requestId, amounts) => {
    let out = `{"r":${JSON.stringify(requestId)},"c":[`;
    for (let i = 0; i < before.length; i++) {
      out += `${before[i]}${JSON.stringify(amounts[i] ?? 0)}${after[i]}`;
    }
    return `${out}]}`;
  };
}

export function decodeLease(member: string): Lease | undefined {
  try {
    const raw = JSON.parse(member) as { r?: unknown; c?: unknown };
    if (typeof raw.r !== 'string' || !Array.isArray(raw.c)) return undefined;
    const counters: LeaseCounter[] = [];
    for (const entry of raw.c as unknown[]) {
      if (!Array.isArray(entry) || entry.length !== 4) return undefined;
      const [key, unit, amount, keepMs] = entry as unknown[];
      if (typeof key !== 'string' || !isUnit(unit)) return undefined;
      if (typeof amount !== 'number' || typeof keepMs !== 'number') return undefined;
      counters.push({ key, unit, amount, keepMs });
    }
    return { requestId: raw.r, counters };
  } catch {
    return undefined;
  }
}

function isUnit(value: unknown): value is BudgetUnit {
  return value === 'tokens' || value === 'requests' || value === 'cost';
}

/**
 * What a request turned out to use: tokens (reported or counted), nothing (it failed or never
 * ran), or what was reserved (it succeeded but nobody said how much it used).
 */
export type Spend = { input: number; output: number } | 'nothing' | 'reserved';

/** Each counter's actual amount for a spend, in the lease's order. */
export function actualAmounts(lease: Lease, spend: Spend, price?: ModelPrice): number[] {
  return lease.counters.map((counter) => {
    if (spend === 'nothing') return 0;
    if (spend === 'reserved') return counter.amount;
    switch (counter.unit) {
      case 'requests':
        return 1;
      case 'tokens':
        return spend.input + spend.output;
      case 'cost':
        // A cost counter is only reserved with a price; without one, charge what was reserved.
        return price ? costMicros(spend, price) : counter.amount;
    }
  });
}

/**
 * Settles a reservation: each counter moves from the reserved amount to the actual one. The
 * ZREM says whether the reservation was still held: if it lapsed (and was given back by the
 * reconciler) the whole actual amount is added instead. A counter that expired (or was reset)
 * in between is recreated only to add to it, with its retention, and never goes below zero.
 * KEYS: leases set, then the lease's counters. ARGV: the member, then per counter: reserved,
 * actual, keep ms.
 */
const SETTLE = new RedisScript(`
local held = redis.call('ZREM', KEYS[1], ARGV[1])
for i = 2, #KEYS do
  local base = 2 + (i - 2) * 3
  local reserved = tonumber(ARGV[base])
  local actual = tonumber(ARGV[base + 1])
  local delta = actual
  if held == 1 then delta = actual - reserved end
  if delta ~= 0 then
    if redis.call('EXISTS', KEYS[i]) == 1 then
      -- Never below zero: a counter reset while the request was in flight starts over at 0.
      if redis.call('INCRBY', KEYS[i], delta) < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL') end
    elseif delta > 0 then
      redis.call('INCRBY', KEYS[i], delta)
      redis.call('PEXPIRE', KEYS[i], ARGV[base + 2])
    end
  end
end
return held
`);

/**
 * Settles (or, with zero amounts, releases) one reservation. Returns whether it was still held.
 * Safe to call more than once: after the first call the reservation is gone, and a second call
 * with zero amounts changes nothing.
 */
export async function settleLease(
  redis: RedisClient,
  prefix: string,
  member: string,
  lease: Lease,
  actual: number[],
): Promise<boolean> {
  const keys = [reservationLeasesKey(prefix), ...lease.counters.map((c) => c.key)];
  const args: (string | number)[] = [member];
  lease.counters.forEach((c, i) => args.push(c.amount, actual[i] ?? 0, c.keepMs));
  return (await SETTLE.run(redis, keys, args)) === 1;
}

/**
 * Gives back reservations whose lease ended unsettled (their worker died, or the job never ran):
 * at most `limit` per call, oldest first. Any number of gateways may run this at once; each
 * reservation is given back once (SETTLE's ZREM). Returns how many were given back.
 */
export async function reclaimLapsedLeases(
  redis: RedisClient,
  prefix: string,
  now: number,
  limit = 100,
): Promise<number> {
  const lapsed = await redis.zrangebyscore(
    reservationLeasesKey(prefix),
    '-inf',
    now,
    'LIMIT',
    0,
    limit,
  );
  let reclaimed = 0;
  for (const member of lapsed) {
    const lease = decodeLease(member);
    if (!lease) {
      await redis.zrem(reservationLeasesKey(prefix), member); // not ours to read: drop it
      continue;
    }
    const zeros = lease.counters.map(() => 0);
    if (await settleLease(redis, prefix, member, lease, zeros)) reclaimed++;
  }
  return reclaimed;
}
