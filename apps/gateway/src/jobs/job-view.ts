import type { AsyncJob, AsyncJobStatus } from '@gatehouse/db';

/** A job as listed: everything but the (possibly large) result and error bodies. */
export type JobSummary = {
  id: string;
  status: AsyncJobStatus;
  endpoint: string;
  model: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  expires_at: string | null;
  result_truncated: boolean;
  upstream_status: number | null;
  usage: { input: number; output: number } | null;
};

/** A job as its owner fetches it. Built field by field: key ids and request hashes stay inside. */
export type JobView = JobSummary & {
  result: object | null;
  error: Record<string, unknown> | null;
};

export function toJobSummary(job: AsyncJob): JobSummary {
  return {
    id: job.id,
    status: job.status,
    endpoint: job.endpoint,
    model: job.model,
    created_at: job.createdAt.toISOString(),
    started_at: iso(job.startedAt),
    completed_at: iso(job.completedAt),
    expires_at: iso(job.expiresAt),
    result_truncated: job.resultTruncated,
    upstream_status: job.upstreamStatus,
    usage: job.usage,
  };
}

export function toJobView(job: AsyncJob): JobView {
  return { ...toJobSummary(job), result: job.result, error: job.error };
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}
