import { InjectMetricsRegistry } from '@gatehouse/metrics';
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { AccountPool } from '../accounts/account-pool.service.js';
import { AccountState } from '../accounts/account-state.js';
import type { PoolAccount } from '../accounts/pool-account.js';

/**
 * How one upstream attempt ended: answered (relayed to the client, whatever its status),
 * rate_limited (the account cools down), error (5xx, timeout, unreachable: tried elsewhere),
 * cancelled (the client left).
 */
export type AttemptOutcome = 'answered' | 'rate_limited' | 'error' | 'cancelled';

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const WAIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30];

type AccountChildren = {
  latency: Histogram.Internal<'provider' | 'account'>;
  firstByte: Histogram.Internal<'provider' | 'account'>;
  attempts: Record<AttemptOutcome, Counter.Internal>;
};

/**
 * proxy-worker's instruments. Labels are the provider and the account id (bounded by the
 * operator's accounts); each account's children are made once and reused.
 */
@Injectable()
export class WorkerMetrics {
  private readonly latency: Histogram<'provider' | 'account'>;
  private readonly firstByte: Histogram<'provider' | 'account'>;
  private readonly attempts: Counter<'provider' | 'account' | 'outcome'>;
  private readonly failovers: Counter;
  private readonly jobWait: Histogram;
  private readonly children = new Map<string, AccountChildren>();

  constructor(@InjectMetricsRegistry() registry: Registry, pool: AccountPool, state: AccountState) {
    const registers = [registry];
    const labelNames = ['provider', 'account'] as const;
    this.latency = new Histogram({
      name: 'gatehouse_upstream_request_duration_seconds',
      help: 'Upstream calls from request to the whole answer (a stream: to its end)',
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.firstByte = new Histogram({
      name: 'gatehouse_upstream_first_byte_seconds',
      help: "Upstream calls from request to the response's headers",
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.attempts = new Counter({
      name: 'gatehouse_upstream_attempts_total',
      help: 'Upstream attempts by provider, account and outcome',
      labelNames: ['provider', 'account', 'outcome'] as const,
      registers,
    });
    this.failovers = new Counter({
      name: 'gatehouse_upstream_failovers_total',
      help: 'Attempts made on another account after one failed or was rate limited',
      registers,
    });
    this.jobWait = new Histogram({
      name: 'gatehouse_proxy_job_wait_seconds',
      help: 'Time a proxy job waited in the queue before a worker started it (gateway clock to worker clock)',
      buckets: WAIT_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'gatehouse_upstream_accounts_cooling_down',
      help: 'Active accounts resting after a rate limit, read from Redis at scrape time',
      labelNames: ['provider'] as const,
      registers,
      async collect() {
        const accounts = pool.active;
        const cooling = await state.stored(accounts.map((a) => a.id));
        this.reset();
        const counts = new Map<string, number>();
        accounts.forEach((a, i) => {
          counts.set(a.provider, (counts.get(a.provider) ?? 0) + ((cooling[i] ?? 0) > 0 ? 1 : 0));
        });
        for (const [provider, count] of counts) this.labels(provider).set(count);
      },
    });
  }

  /** `waitedMs`: from the job's creation to its start. */
  jobStarted(waitedMs: number): void {
    this.jobWait.observe(Math.max(0, waitedMs) / 1000);
  }

  firstByteAfter(account: PoolAccount, ms: number): void {
    this.of(account).firstByte.observe(ms / 1000);
  }

  attemptEnded(account: PoolAccount, outcome: AttemptOutcome, ms: number): void {
    const children = this.of(account);
    children.attempts[outcome].inc();
    if (outcome === 'answered') children.latency.observe(ms / 1000);
  }

  failedOver(): void {
    this.failovers.inc();
  }

  private of(account: PoolAccount): AccountChildren {
    let children = this.children.get(account.id);
    if (!children) {
      const attempt = (outcome: AttemptOutcome) =>
        this.attempts.labels(account.provider, account.id, outcome);
      children = {
        latency: this.latency.labels(account.provider, account.id),
        firstByte: this.firstByte.labels(account.provider, account.id),
        attempts: {
          answered: attempt('answered'),
          rate_limited: attempt('rate_limited'),
          error: attempt('error'),
          cancelled: attempt('cancelled'),
        },
      };
      this.children.set(account.id, children);
    }
    return children;
  }
}
