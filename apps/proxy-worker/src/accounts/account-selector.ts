import { Injectable } from '@nestjs/common';
import { AccountState } from './account-state.js';
import type { PoolAccount } from './pool-account.js';

export type Selection =
  | { kind: 'account'; account: PoolAccount }
  | { kind: 'cooling'; retryAfterMs: number }
  | { kind: 'none' };

/**
 * Picks the account for the next attempt: among accounts not cooling down, the highest
 * priority; within it the lowest in-flight per unit of weight; ties broken at random in
 * proportion to weight.
 */
@Injectable()
export class AccountSelector {
  private readonly load = (accountIds: string[]) => this.state.inFlight(accountIds);

  constructor(private readonly state: AccountState) {}

  /** Cooldowns and loads are this worker's memory (account-state.ts): no round trip. */
  select(candidates: readonly PoolAccount[], tried: ReadonlySet<string>): Selection {
    if (candidates.length === 0) return { kind: 'none' };
    const cooling = this.state.cooldowns(candidates.map((a) => a.id));
    return chooseAccount(candidates, cooling, tried, this.load);
  }
}

/**
 * The choice itself, from the accounts' states: `cooling`, each candidate's remaining cooldown
 * in ms (0: available); `tried`, accounts this request already asked; `load`, requests in flight
 * per account. `random` in [0, 1) breaks ties.
 */
export function chooseAccount(
  candidates: readonly PoolAccount[],
  cooling: readonly number[],
  tried: ReadonlySet<string>,
  load: (accountIds: string[]) => number[],
  random: () => number = Math.random,
): Selection {
  // An account dropped (paused, changed, deleted) while we waited is not used any more.
  const available = candidates.filter((a, i) => cooling[i] === 0 && !a.retired);
  if (available.length === 0) {
    const waits = cooling.filter((ms, i) => ms > 0 && !candidates[i]?.retired);
    return waits.length > 0
      ? { kind: 'cooling', retryAfterMs: Math.min(...waits) }
      : { kind: 'none' };
  }
  // Prefer accounts not tried yet for this request; with all tried, allow another go.
  const untried = available.filter((a) => !tried.has(a.id));
  const pool = untried.length > 0 ? untried : available;
  const top = Math.max(...pool.map((a) => a.priority));
  const tier = pool.filter((a) => a.priority === top);
  const inFlight = load(tier.map((a) => a.id));
  const scores = tier.map((a, i) => (inFlight[i] ?? 0) / Math.max(1, a.weight));
  const best = Math.min(...scores);
  const leaders = tier.filter((_, i) => scores[i] === best);
  return { kind: 'account', account: weightedPick(leaders, random) };
}

function weightedPick(accounts: PoolAccount[], random: () => number): PoolAccount {
  const total = accounts.reduce((sum, a) => sum + Math.max(1, a.weight), 0);
  let ticket = random() * total;
  for (const account of accounts) {
    ticket -= Math.max(1, account.weight);
    if (ticket < 0) return account;
  }
  return accounts[accounts.length - 1];
}
