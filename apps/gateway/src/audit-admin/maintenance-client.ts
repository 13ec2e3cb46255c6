import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  bullConnection,
  bullPrefix,
  closeQueueClient,
  QueueName,
  RedisRole,
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
import { type Job, type JobsOptions, type Queue, QueueEvents } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { bounded } from '../system/bounded.js';

export type MaintenanceOutcome<T> =
  { status: 'completed'; job_id: string; result: T } | { status: 'queued'; job_id: string };

const ENQUEUE_TIMEOUT_MS = 2_000;

/**
 * Asks the audit app for something on `audit-maintenance` and waits (bounded) for its answer:
 * retention runs, chain verification and signed heads all happen there, the only process with
 * the chain key and the right to delete audit rows. The gateway only enqueues and relays.
 */
@Injectable()
export class MaintenanceClient implements OnApplicationShutdown {
  private readonly logger = new Logger(MaintenanceClient.name);
  /** Opened on the first request that waits (a blocking connection no replica needs until then). */
  private queueEvents: QueueEvents | undefined;

  constructor(
    @InjectQueue(QueueName.auditMaintenance) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run<T>(
    name: string,
    data: object,
    options: JobsOptions,
    waitMs: number,
  ): Promise<MaintenanceOutcome<T>> {
    const events = waitMs > 0 ? await this.events() : undefined;
    const jobId = `${name.replace(/\./g, '-')}-${randomUUID()}`;
    const job = await this.enqueue(name, jobId, data, options);
    if (!events) return { status: 'queued', job_id: jobId };
    try {
      const result = (await job.waitUntilFinished(events, waitMs)) as T;
      return { status: 'completed', job_id: jobId, result };
    } catch {
      // Timed out or failed: the job's state says which.
      const state = await this.queue.getJobState(jobId).catch(() => 'unknown');
      if (state === 'completed') {
        const done = await this.queue.getJob(jobId);
        if (done) return { status: 'completed', job_id: jobId, result: done.returnvalue as T };
      }
      if (state === 'failed') {
        this.logger.warn(`maintenance job ${jobId} failed`);
        throw new InternalServerErrorException(
          `The audit app could not do it (job ${jobId}); see its logs`,
        );
      }
      return { status: 'queued', job_id: jobId };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const events = this.queueEvents;
    this.queueEvents = undefined;
    if (events) await closeQueueClient(events).catch(() => undefined);
  }

  private async enqueue(
    name: string,
    jobId: string,
    data: object,
    options: JobsOptions,
  ): Promise<Job> {
    try {
      return await bounded(
        () => this.queue.add(name, data, { ...options, jobId }),
        ENQUEUE_TIMEOUT_MS,
      );
    } catch (err) {
      this.logger.warn(`could not enqueue ${name}: ${(err as Error).message}`);
      throw new ServiceUnavailableException(
        'The maintenance queue is unavailable; try again shortly',
      );
    }
  }

  private async events(): Promise<QueueEvents> {
    if (!this.queueEvents) {
      this.queueEvents = new QueueEvents(QueueName.auditMaintenance, {
        connection: bullConnection(this.config, RedisRole.queueEvents),
        prefix: bullPrefix(this.config.REDIS_KEY_PREFIX),
      });
      this.queueEvents.on('error', (err: Error) =>
        this.logger.warn(`queue events: ${err.message}`),
      );
    }
    const events = this.queueEvents;
    try {
      await bounded(() => events.waitUntilReady(), ENQUEUE_TIMEOUT_MS);
    } catch {
      throw new ServiceUnavailableException(
        'The maintenance queue is unavailable; try again shortly',
      );
    }
    return events;
  }
}
