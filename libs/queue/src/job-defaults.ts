import type { JobsOptions } from 'bullmq';

/**
 * Job defaults, in one place. Upstream retries happen inside the worker (across accounts), so
 * BullMQ itself does not retry a failed job; a job whose worker died is picked up again by
 * stalled-job detection. Finished jobs are trimmed so Redis does not grow without bound.
 *
 * `removeOnComplete: true` deletes a job's keys inside the same moveToFinished script that
 * completes it; `{ count: N }` would keep N job hashes in a completed set and trim it on every
 * completion, for nobody: the outcome travels on the reply hash / job row, not BullMQ.
 */
export const PROXY_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: true,
  removeOnFail: { count: 1_000, age: 24 * 3600 },
};
