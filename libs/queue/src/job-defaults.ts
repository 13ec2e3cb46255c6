import type { JobsOptions } from 'bullmq';

/**
 * Job defaults, in one place. Upstream retries happen inside the worker (across accounts), so
 * BullMQ itself does not retry a failed job; a job whose worker died is picked up again by
 * stalled-job detection. Finished jobs are trimmed so Redis does not grow without bound.
 */
export const PROXY_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: true,
  removeOnFail: { count: 1_000, age: 24 * 3600 },
};
