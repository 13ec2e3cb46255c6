import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  bullPrefix,
  QueueName,
  redisOptionsFromUrl,
  RETENTION_JOB_NAME,
  type RetentionJobData,
  type RetentionSummary,
} from '@gatehouse/queue';
import { InjectQueue } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
  type OnApplicationShutdown,
  ServiceUnavailableException,
} from '@nestjs/common';
import { type Job, type Queue, QueueEvents } from 'bullmq';
import { randomUUID } from 'node:crypto';

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

const ENQUEUE_TIMEOUT_MS = 2_000;

/**
 * Runs the audit app's retention job now: the gateway only enqueues it on `audit-maintenance`
 * and waits (bounded) for the result; the audit app does the deleting and checkpointing.
 */
@Injectable()
export class RetentionService implements OnApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  /** Opened on the first manual run (a blocking connection no replica needs until then). */
  private queueEvents: QueueEvents | undefined;

  constructor(
    @InjectQueue(QueueName.auditMaintenance) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(request: RetentionRunRequest, waitMs: number): Promise<RetentionRunOutcome> {
    const events = waitMs > 0 ? await this.events() : undefined;
    const jobId = `retention-manual-${randomUUID()}`;
    const job = await this.enqueue(jobId, request);
    if (!events) return { status: 'queued', job_id: jobId };
    try {
      const summary = (await job.waitUntilFinished(events, waitMs)) as RetentionSummary;
      return { status: 'completed', job_id: jobId, summary };
    } catch {
      // Timed out or failed: the job's state says which.
      const state = await this.queue.getJobState(jobId).catch(() => 'unknown');
      if (state === 'completed') {
        const done = await this.queue.getJob(jobId);
        if (done)
          return {
            status: 'completed',
            job_id: jobId,
            summary: done.returnvalue as RetentionSummary,
          };
      }
      if (state === 'failed') {
        this.logger.warn(`retention run ${jobId} failed`);
        throw new InternalServerErrorException(
          `The retention run failed (job ${jobId}); see the audit app's logs`,
        );
      }
      return { status: 'queued', job_id: jobId };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const events = this.queueEvents;
    this.queueEvents = undefined;
    await events?.close().catch(() => undefined);
  }

  private async enqueue(jobId: string, request: RetentionRunRequest): Promise<Job> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.queue.add(RETENTION_JOB_NAME, request, { ...MANUAL_RUN_JOB_OPTIONS, jobId }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      this.logger.warn(`could not enqueue a retention run: ${(err as Error).message}`);
      throw new ServiceUnavailableException(
        'The maintenance queue is unavailable; try again shortly',
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private async events(): Promise<QueueEvents> {
    if (!this.queueEvents) {
      this.queueEvents = new QueueEvents(QueueName.auditMaintenance, {
        connection: redisOptionsFromUrl(this.config.REDIS_URL),
        prefix: bullPrefix(this.config.REDIS_KEY_PREFIX),
      });
      this.queueEvents.on('error', (err: Error) =>
        this.logger.warn(`queue events: ${err.message}`),
      );
    }
    const events = this.queueEvents;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        events.waitUntilReady(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('queue events not ready')), ENQUEUE_TIMEOUT_MS);
        }),
      ]);
    } catch {
      throw new ServiceUnavailableException(
        'The maintenance queue is unavailable; try again shortly',
      );
    } finally {
      clearTimeout(timer);
    }
    return events;
  }
}
