import { RETENTION_JOB_NAME, type RetentionJobData, type RetentionSummary } from '@gatehouse/queue';
import { Injectable } from '@nestjs/common';
import { MaintenanceClient } from './maintenance-client.js';

/** What a manual run asks of the audit app: who asked, so its `retention.run` event can say. */
export type RetentionRunRequest = RetentionJobData & { trigger: 'admin' };

export type RetentionRunOutcome =
  | { status: 'completed'; job_id: string; summary: RetentionSummary }
  | { status: 'queued'; job_id: string };

const MANUAL_RUN_JOB_OPTIONS = {
  // Retention is idempotent, but a failed manual run should be looked at, not retried blindly.
  attempts: 1,
  // Kept a while so an operator can look a 202's job up (Bull Board) and see how it ended.
  removeOnComplete: { age: 7 * 24 * 3600, count: 1_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 1_000 },
} as const;

/**
 * Runs the audit app's retention job now: the gateway only enqueues it on `audit-maintenance`
 * and waits (bounded) for the result; the audit app does the deleting and checkpointing.
 */
@Injectable()
export class RetentionTrigger {
  constructor(private readonly maintenance: MaintenanceClient) {}

  async run(request: RetentionRunRequest, waitMs: number): Promise<RetentionRunOutcome> {
    const outcome = await this.maintenance.run<RetentionSummary>(
      RETENTION_JOB_NAME,
      request,
      MANUAL_RUN_JOB_OPTIONS,
      waitMs,
    );
    return outcome.status === 'completed'
      ? { status: 'completed', job_id: outcome.job_id, summary: outcome.result }
      : outcome;
  }
}
