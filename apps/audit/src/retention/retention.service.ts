import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  AUDIT_EVENT_VERSION,
  type AuditEvent,
  QueueName,
  RETENTION_JOB_NAME,
  type RetentionJobData,
  RETENTION_SCHEDULER_ID,
  type RetentionSummary,
  bullPrefix,
  redisOptionsFromUrl,
} from '@gatehouse/queue';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditChainWriter } from '../chain/audit-chain-writer.js';
import { lockChain } from '../chain/chain-lock.js';
import { AuditEventPreparer } from '../ingest/audit-event-preparer.js';

/** Job data on `audit-maintenance`. `now` (ISO) replaces the clock, and only when NODE_ENV=test. */

const DAY_MS = 86_400_000;
const SCHEDULER_RETRY_MS = 10_000;

/**
 * Applies the retention policy: on a cron schedule (a BullMQ job scheduler with a fixed id, so
 * replicas and restarts never add a second one) and on demand (the gateway adds a
 * RETENTION_JOB_NAME job and waits for its RetentionSummary).
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private queue: Queue<RetentionJobData> | undefined;
  private worker: Worker<RetentionJobData, RetentionSummary> | undefined;
  private schedulerTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly writer: AuditChainWriter,
    private readonly preparer: AuditEventPreparer,
  ) {}

  onApplicationBootstrap(): void {
    const connection = {
      ...redisOptionsFromUrl(this.config.REDIS_URL),
      maxRetriesPerRequest: null,
    };
    const prefix = bullPrefix(this.config.REDIS_KEY_PREFIX);
    this.queue = new Queue<RetentionJobData>(QueueName.auditMaintenance, { connection, prefix });
    this.queue.on('error', (err) =>
      this.logger.warn(`maintenance queue connection: ${err.message}`),
    );
    this.worker = new Worker<RetentionJobData, RetentionSummary>(
      QueueName.auditMaintenance,
      (job) => this.process(job),
      { connection, prefix, concurrency: 1, lockDuration: 120_000 },
    );
    this.worker.on('error', (err) =>
      this.logger.warn(`maintenance worker connection: ${err.message}`),
    );
    this.worker.on('failed', (job, err) =>
      this.logger.warn(`retention job ${job?.id ?? '?'} failed: ${err.message}`),
    );
    void this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.schedulerTimer);
    await this.worker?.close();
    await this.queue?.close();
  }

  /** Upserts the schedule; retried in the background while Redis is unreachable. */
  private async schedule(): Promise<void> {
    try {
      await this.queue?.upsertJobScheduler(
        RETENTION_SCHEDULER_ID,
        { pattern: this.config.AUDIT_RETENTION_CRON, tz: 'UTC' },
        {
          name: RETENTION_JOB_NAME,
          data: { trigger: 'schedule' },
          opts: {
            attempts: 3,
            backoff: { type: 'exponential', delay: 60_000 },
            removeOnComplete: { count: 100 },
            removeOnFail: { count: 100 },
          },
        },
      );
    } catch (err) {
      this.logger.warn(`retention schedule not set yet (${(err as Error).message}); retrying`);
      this.schedulerTimer = setTimeout(() => void this.schedule(), SCHEDULER_RETRY_MS);
    }
  }

  private async process(job: Job<RetentionJobData, RetentionSummary>): Promise<RetentionSummary> {
    if (job.name !== RETENTION_JOB_NAME)
      throw new UnrecoverableError(`unknown maintenance job ${job.name}`);
    const summary = await this.run(this.clock(job.data), job.data);
    this.logger.log(
      `retention: ${summary.deleted_events} events, ${summary.deleted_bodies} bodies, ` +
        `${summary.deleted_job_results} job results deleted`,
    );
    return summary;
  }

  private clock(data: RetentionJobData | undefined): Date {
    if (this.config.NODE_ENV === 'test' && typeof data?.now === 'string') {
      const fake = new Date(data.now);
      if (Number.isFinite(fake.getTime())) return fake;
    }
    return new Date();
  }

  /**
   * One transaction under the chain lock (so no batch is appended half-way through): delete the
   * oldest events as one prefix and leave a checkpoint, drop old bodies (their hashes stay in
   * the chain), delete expired job rows, and append the `retention.run` event through the
   * same writer the ingest uses, so the record of the run commits with the run itself.
   */
  async run(now: Date, cause?: RetentionJobData): Promise<RetentionSummary> {
    const eventsBefore = new Date(now.getTime() - this.config.AUDIT_RETENTION_DAYS * DAY_MS);
    const bodiesBefore = new Date(now.getTime() - this.config.AUDIT_BODY_RETENTION_DAYS * DAY_MS);
    return this.dataSource.transaction(async (manager) => {
      await lockChain(manager);
      const { deleted, checkpoint } = await this.deletePrefix(manager, eventsBefore);
      const deletedBodies = await count(
        manager,
        `UPDATE audit_events SET bodies = NULL WHERE bodies IS NOT NULL AND recorded_at < $1 RETURNING 1`,
        [bodiesBefore],
      );
      const deletedJobs = await count(
        manager,
        `DELETE FROM jobs WHERE expires_at < $1 RETURNING 1`,
        [now],
      );
      const summary: RetentionSummary = {
        deleted_events: deleted,
        deleted_bodies: deletedBodies,
        deleted_job_results: deletedJobs,
        checkpoint,
        ran_at: now.toISOString(),
      };
      const event: AuditEvent = {
        v: AUDIT_EVENT_VERSION,
        id: randomUUID(),
        type: 'retention.run',
        at: new Date().toISOString(),
        actor: cause?.trigger === 'admin' ? 'admin' : 'system',
        ...(cause?.request && { request: cause.request }),
        data: { ...summary, trigger: cause?.trigger ?? 'schedule' },
      };
      const prepared = this.preparer.prepare(event, event.id);
      if (!prepared.ok)
        throw new Error(`retention.run event refused: ${prepared.deadLetter.reason}`);
      await this.writer.appendLocked(manager, [prepared.event]);
      return summary;
    });
  }

  /**
   * Deletes every event up to the newest one recorded before `before` (a whole prefix of the
   * chain, so what remains still links up) and records where the chain now starts.
   */
  private async deletePrefix(
    manager: EntityManager,
    before: Date,
  ): Promise<{ deleted: number; checkpoint: RetentionSummary['checkpoint'] }> {
    const [last] = await manager.query<{ seq: string; hash: string }[]>(
      `SELECT seq::text AS seq, hash FROM audit_events
        WHERE seq = (SELECT max(seq) FROM audit_events WHERE recorded_at < $1)`,
      [before],
    );
    if (!last) return { deleted: 0, checkpoint: null };
    const deleted = await count(manager, `DELETE FROM audit_events WHERE seq <= $1 RETURNING 1`, [
      last.seq,
    ]);
    await manager.query(
      `INSERT INTO audit_checkpoints (last_deleted_seq, last_deleted_hash, deleted_count) VALUES ($1, $2, $3)`,
      [last.seq, last.hash, deleted],
    );
    return { deleted, checkpoint: { last_deleted_seq: last.seq, last_deleted_hash: last.hash } };
  }
}

/** Runs a data-changing statement with RETURNING and counts the rows it touched. */
async function count(
  manager: EntityManager,
  statement: string,
  params: unknown[],
): Promise<number> {
  const [row] = await manager.query<{ n: number }[]>(
    `WITH changed AS (${statement}) SELECT count(*)::int AS n FROM changed`,
    params,
  );
  return row?.n ?? 0;
}
