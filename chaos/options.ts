/** The shape of one chaos run: how long, how many clients, when each fault strikes. */
export type ChaosOptions = {
  /** Load duration; faults are placed at fixed fractions of it. */
  loadSeconds: number;
  clients: number;
  /** How long a killed worker or gateway stays down before it is started again. */
  downSeconds: number;
  /** How long Postgres is unreachable. */
  postgresCutSeconds: number;
  /** After the load: how long to wait for async jobs and the audit backlog to settle. */
  drainSeconds: number;
  /** Upstream latency of the mock (ms). */
  upstreamDelayMs: number;
  /**
   * PROXY_JOB_LOCK_MS for the workers: how long a killed worker's jobs wait before another takes
   * them over. Undefined: the product's default.
   */
  jobLockMs?: number;
};

const number = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

/** `npm run chaos`: the full run, with the product's defaults for the apps. */
export function chaosOptionsFromEnv(): ChaosOptions {
  return {
    loadSeconds: number('CHAOS_SECONDS', 120),
    clients: number('CHAOS_CLIENTS', 8),
    downSeconds: number('CHAOS_DOWN_SECONDS', 5),
    postgresCutSeconds: number('CHAOS_POSTGRES_CUT_SECONDS', 10),
    drainSeconds: number('CHAOS_DRAIN_SECONDS', 60),
    upstreamDelayMs: number('CHAOS_UPSTREAM_DELAY_MS', 20),
    jobLockMs: process.env.CHAOS_JOB_LOCK_MS ? number('CHAOS_JOB_LOCK_MS', 30_000) : undefined,
  };
}
