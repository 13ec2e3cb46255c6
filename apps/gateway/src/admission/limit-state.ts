import { HttpException, HttpStatus } from '@nestjs/common';
import type { BudgetState } from '../budgets/budget-state.js';
import type { Counted } from './admission-counters.js';

/** Where a counted limit stands after this request: what X-RateLimit-* report. */
export type LimitState = { limit: number; remaining: number; resetSeconds: number };

/** The tighter of two limit states (the one with fewer requests left; the first on a tie). */
export function tighter(
  a: LimitState | undefined,
  b: LimitState | undefined,
): LimitState | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.remaining < a.remaining ? b : a;
}

/**
 * A refusal the client may retry after a delay. It carries the delay (and a rate limit's state)
 * as data; the edge writes `Retry-After` and `X-RateLimit-*` from it in one place, so no
 * service touches the response.
 */
export class RetryLater extends HttpException {
  constructor(
    message: string,
    status: number,
    readonly retryAfterSeconds: number,
    readonly state?: LimitState,
    /** Where the key's budgets stood, for X-Budget-* on the refusal. */
    readonly budgets?: readonly BudgetState[],
  ) {
    super(message, status);
  }
}

/** A request refused by a limit: 429 with Retry-After (and the limit's state, when counted). */
export class RateLimited extends RetryLater {
  constructor(
    message: string,
    retryAfterSeconds: number,
    state?: LimitState,
    budgets?: readonly BudgetState[],
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS, retryAfterSeconds, state, budgets);
  }
}

/** A counted limit as the client is told of it: what is left, and when the window ends. */
export function limitStateOf(counted: Counted): LimitState {
  return {
    limit: counted.limit,
    remaining: Math.max(0, counted.limit - counted.hits),
    resetSeconds: waitSeconds(counted.msLeft),
  };
}

/** Milliseconds as whole seconds of waiting, at least one. */
export function waitSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
