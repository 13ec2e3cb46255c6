import type { ProxyReply } from '@gatehouse/queue';
import type { Selection } from '../accounts/account-selector.js';

/**
 * The failover decisions of one request, as pure functions of where it stands and how its last
 * attempt ended: whether to ask another account, whether to cool one down or back off first, and
 * what the client gets once nobody answered. ProxyRunner does the I/O around them.
 */

/** How one attempt on one account ended. */
export type AttemptResult =
  | { kind: 'done' }
  | { kind: 'cancelled' }
  | { kind: 'rate-limited'; cooldownMs: number }
  | { kind: 'retryable'; reply: ProxyReply };

/** Where a request's failover stands. */
export type FailoverProgress = {
  /** Accounts asked so far, rate-limited ones included. */
  readonly rounds: number;
  /** Attempts that failed (a retryable status, a timeout, unreachable); a rate limit is not one. */
  readonly failures: number;
  /**
   * What the client gets if nothing more is tried: the latest failure. A rate limit clears it,
   * so that a request that met only rate limits is answered from the accounts' cooldowns.
   */
  readonly lastFailure?: ProxyReply;
};

export const FAILOVER_START: FailoverProgress = { rounds: 0, failures: 0 };

export type FailoverLimits = {
  /** UPSTREAM_MAX_ATTEMPTS: failed attempts before giving up. */
  maxFailures: number;
  /** Accounts that serve the request now (the round cap allows each one rate limit). */
  candidates: number;
  now: number;
  /** When the request's one time budget for every attempt ends. */
  budgetEnds: number;
};

/** Whether another account may be asked, or why not (the progress then says what to answer). */
export type BeforeAttempt =
  | { kind: 'attempt' }
  | { kind: 'stop'; progress: FailoverProgress; reason: 'exhausted' | 'out-of-time' };

/** Shared: the common answer allocates nothing on the request path. */
const ATTEMPT: BeforeAttempt = { kind: 'attempt' };

export function beforeAttempt(progress: FailoverProgress, limits: FailoverLimits): BeforeAttempt {
  // A rate-limited account is not a failed attempt: it cools down and the next one is asked (it
  // is not picked again while it cools). The round cap bounds the loop regardless.
  if (
    progress.failures >= limits.maxFailures ||
    progress.rounds >= limits.maxFailures + limits.candidates
  ) {
    return { kind: 'stop', progress, reason: 'exhausted' };
  }
  if (limits.now >= limits.budgetEnds) {
    const lastFailure =
      progress.lastFailure ?? errorReply(504, 'upstream_error', 'The upstream provider timed out');
    return { kind: 'stop', progress: { ...progress, lastFailure }, reason: 'out-of-time' };
  }
  return ATTEMPT;
}

/** What to do after an attempt: stop, or ask the next account after a cooldown or a backoff. */
export type AfterAttempt =
  | { kind: 'finished' }
  | { kind: 'cool-down'; cooldownMs: number; progress: FailoverProgress }
  /** `backoffAttempt`: the failure count to back off for; absent when no attempt is left. */
  | { kind: 'failed'; reply: ProxyReply; backoffAttempt?: number; progress: FailoverProgress };

export function afterAttempt(
  progress: FailoverProgress,
  outcome: AttemptResult,
  maxFailures: number,
): AfterAttempt {
  const rounds = progress.rounds + 1;
  switch (outcome.kind) {
    case 'done':
    case 'cancelled':
      return { kind: 'finished' };
    case 'rate-limited':
      return {
        kind: 'cool-down',
        cooldownMs: outcome.cooldownMs,
        progress: { rounds, failures: progress.failures },
      };
    case 'retryable': {
      const failures = progress.failures + 1;
      return {
        kind: 'failed',
        reply: outcome.reply,
        backoffAttempt: failures < maxFailures ? failures : undefined,
        progress: { rounds, failures, lastFailure: outcome.reply },
      };
    }
  }
}

/**
 * The answer once no account answered: 429 with Retry-After when only rate limits were met and
 * an account is cooling down now (`accounts`, chosen again with nothing tried); else the
 * gateway's own error for the last failure.
 */
export function finalReply(progress: FailoverProgress, accounts: Selection): ProxyReply {
  if (!progress.lastFailure && accounts.kind === 'cooling') {
    return {
      ...errorReply(429, 'rate_limited', 'Every upstream account is rate limited; retry later'),
      retryAfter: Math.max(1, Math.ceil(accounts.retryAfterMs / 1000)),
    };
  }
  return gaveUp(progress.lastFailure);
}

/**
 * What the client gets once every attempt failed: the gateway's own error, never the upstream's
 * 5xx body (it can carry the provider's internals, file paths and the like). A timeout or a
 * connection failure is already the gateway's error (504, 502).
 */
function gaveUp(lastFailure: ProxyReply | undefined): ProxyReply {
  if (lastFailure === undefined) {
    return errorReply(502, 'upstream_error', 'The upstream provider did not answer');
  }
  if (lastFailure.type === 'result') {
    return errorReply(
      502,
      'upstream_error',
      `The upstream provider failed (HTTP ${lastFailure.status}) on every attempt`,
    );
  }
  return lastFailure;
}

const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 2_000;

/**
 * The pause before the attempt after failure `attempt` (1-based): exponential, capped, with
 * jitter so that workers do not retry in step. `random`: in [0, 1).
 */
export function backoffMs(attempt: number, random: number = Math.random()): number {
  const capped = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return capped / 2 + random * (capped / 2);
}

export type ErrorReply = Extract<ProxyReply, { type: 'error' }>;

export function errorReply(status: number, errorType: string, message: string): ErrorReply {
  return { type: 'error', status, errorType, message };
}
