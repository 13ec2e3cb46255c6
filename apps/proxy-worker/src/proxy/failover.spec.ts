import type { ProxyReply } from '@gatehouse/queue';
import {
  afterAttempt,
  backoffMs,
  beforeAttempt,
  errorReply,
  FAILOVER_START,
  type FailoverLimits,
  type FailoverProgress,
  finalReply,
} from './failover.js';

const limits: FailoverLimits = { maxFailures: 3, candidates: 2, now: 1_000, budgetEnds: 5_000 };
const upstream500: ProxyReply = {
  type: 'result',
  status: 500,
  contentType: 'application/json',
  body: '{"error":"internal detail /srv/app.py"}',
};
const unreachable = errorReply(502, 'upstream_error', 'The upstream provider could not be reached');

describe('beforeAttempt', () => {
  it('lets the first attempt go ahead', () => {
    expect(beforeAttempt(FAILOVER_START, limits)).toEqual({ kind: 'attempt' });
  });

  it('stops once the failed attempts reach UPSTREAM_MAX_ATTEMPTS', () => {
    const progress: FailoverProgress = { rounds: 3, failures: 3, lastFailure: upstream500 };
    expect(beforeAttempt(progress, limits)).toEqual({
      kind: 'stop',
      progress,
      reason: 'exhausted',
    });
    expect(beforeAttempt({ ...progress, failures: 2 }, limits).kind).toBe('attempt');
  });

  it('bounds rounds of rate limits by the attempts plus one per account', () => {
    const progress: FailoverProgress = { rounds: 5, failures: 0 };
    expect(beforeAttempt(progress, limits)).toMatchObject({ kind: 'stop', reason: 'exhausted' });
    expect(beforeAttempt(progress, { ...limits, candidates: 3 }).kind).toBe('attempt');
  });

  it('stops at the end of the time budget with a 504 when nothing failed yet', () => {
    const out = beforeAttempt(FAILOVER_START, { ...limits, now: 5_000 });
    expect(out).toMatchObject({ kind: 'stop', reason: 'out-of-time' });
    expect(out.kind === 'stop' && out.progress.lastFailure).toEqual(
      errorReply(504, 'upstream_error', 'The upstream provider timed out'),
    );
  });

  it('keeps the failure already met when the time budget ends', () => {
    const progress: FailoverProgress = { rounds: 1, failures: 1, lastFailure: unreachable };
    const out = beforeAttempt(progress, { ...limits, now: 6_000 });
    expect(out.kind === 'stop' && out.progress.lastFailure).toBe(unreachable);
  });
});

describe('afterAttempt', () => {
  it('finishes on an answer and on a cancellation', () => {
    expect(afterAttempt(FAILOVER_START, { kind: 'done' }, 3)).toEqual({ kind: 'finished' });
    expect(afterAttempt(FAILOVER_START, { kind: 'cancelled' }, 3)).toEqual({ kind: 'finished' });
  });

  it('cools a rate-limited account down without counting a failure, and forgets the last one', () => {
    const progress: FailoverProgress = { rounds: 1, failures: 1, lastFailure: unreachable };
    expect(afterAttempt(progress, { kind: 'rate-limited', cooldownMs: 7_000 }, 3)).toEqual({
      kind: 'cool-down',
      cooldownMs: 7_000,
      progress: { rounds: 2, failures: 1 },
    });
  });

  it('counts a retryable failure and backs off while attempts are left', () => {
    const first = afterAttempt(FAILOVER_START, { kind: 'retryable', reply: upstream500 }, 2);
    expect(first).toEqual({
      kind: 'failed',
      reply: upstream500,
      backoffAttempt: 1,
      progress: { rounds: 1, failures: 1, lastFailure: upstream500 },
    });
    const second = afterAttempt(
      first.kind === 'failed' ? first.progress : FAILOVER_START,
      { kind: 'retryable', reply: unreachable },
      2,
    );
    expect(second).toEqual({
      kind: 'failed',
      reply: unreachable,
      backoffAttempt: undefined,
      progress: { rounds: 2, failures: 2, lastFailure: unreachable },
    });
  });

  it('walks a request through rate limits and failures to the point of giving up', () => {
    let progress = FAILOVER_START;
    const outcomes = [
      { kind: 'rate-limited', cooldownMs: 1_000 },
      { kind: 'retryable', reply: upstream500 },
      { kind: 'retryable', reply: upstream500 },
      { kind: 'retryable', reply: upstream500 },
    ] as const;
    const steps: string[] = [];
    for (const outcome of outcomes) {
      const next = beforeAttempt(progress, limits);
      if (next.kind === 'stop') break;
      const after = afterAttempt(progress, outcome, limits.maxFailures);
      if (after.kind === 'finished') break;
      steps.push(after.kind);
      progress = after.progress;
    }
    expect(steps).toEqual(['cool-down', 'failed', 'failed', 'failed']);
    expect(beforeAttempt(progress, limits)).toMatchObject({ kind: 'stop', reason: 'exhausted' });
  });
});

describe('finalReply', () => {
  it('answers 429 with Retry-After when only rate limits were met and an account cools down', () => {
    const reply = finalReply({ rounds: 2, failures: 0 }, { kind: 'cooling', retryAfterMs: 2_100 });
    expect(reply).toEqual({
      type: 'error',
      status: 429,
      errorType: 'rate_limited',
      message: 'Every upstream account is rate limited; retry later',
      retryAfter: 3,
    });
  });

  it('never tells a client to retry in less than a second', () => {
    const reply = finalReply(FAILOVER_START, { kind: 'cooling', retryAfterMs: 20 });
    expect(reply.type === 'error' && reply.retryAfter).toBe(1);
  });

  it('answers the last failure even when accounts are cooling', () => {
    const progress: FailoverProgress = { rounds: 2, failures: 1, lastFailure: unreachable };
    expect(finalReply(progress, { kind: 'cooling', retryAfterMs: 5_000 })).toBe(unreachable);
  });

  it("replaces an upstream error body with the gateway's own 502", () => {
    const progress: FailoverProgress = { rounds: 3, failures: 3, lastFailure: upstream500 };
    const reply = finalReply(progress, { kind: 'none' });
    expect(reply).toEqual(
      errorReply(502, 'upstream_error', 'The upstream provider failed (HTTP 500) on every attempt'),
    );
    expect(JSON.stringify(reply)).not.toContain('/srv/app.py');
  });

  it('says no provider answered when nothing was tried', () => {
    expect(finalReply(FAILOVER_START, { kind: 'none' })).toEqual(
      errorReply(502, 'upstream_error', 'The upstream provider did not answer'),
    );
  });
});

describe('backoffMs', () => {
  it('doubles from 100 ms per failure, jittered within the upper half, capped at 2 s', () => {
    expect(backoffMs(1, 0)).toBe(50);
    expect(backoffMs(1, 0.999)).toBeCloseTo(99.95);
    expect(backoffMs(3, 0)).toBe(200);
    expect(backoffMs(10, 0)).toBe(1_000);
    expect(backoffMs(10, 0.5)).toBe(1_500);
  });
});
