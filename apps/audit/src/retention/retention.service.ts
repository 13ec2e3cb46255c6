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
  RedisRole,
  bullConnection,
  closeQueueClient,
} from '@gatehouse/queue';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditChainWriter } from '../chain/audit-chain-writer.js';
import { lockChain } from '../chain/chain-lock.js';
import { CLOCK, type Clock } from '../clock.js';
import { AuditEventPreparer } from '../ingest/audit-event-preparer.js';

const DAY_MS = 86_400_000;
const SCHEDULER_RETRY_MS = 10_000;

/**
 * Applies the retention policy: on a cron schedule (a BullMQ job scheduler with a fixed id, so
 * replicas and restarts never add a second one) and on demand (the gateway adds a
 * RETENTION_JOB_NAME job and waits for its RetentionSummary; MaintenanceWorker runs both).
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private queue: Queue<RetentionJobData> | undefined;
  private schedulerTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly writer: AuditChainWriter,
    private readonly preparer: AuditEventPreparer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    const connection = bullConnection(this.config, RedisRole.queueWorker);
    const prefix = bullPrefix(this.config.REDIS_KEY_PREFIX);
    this.queue = new Queue<RetentionJobData>(QueueName.auditMaintenance, { connection, prefix });
    this.queue.on('error', (err) =>
      this.logger.warn(`maintenance queue connection: ${err.message}`),
    );
    void this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.schedulerTimer);
    if (this.queue) await closeQueueClient(this.queue);
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

  /** A retention job (scheduled or manual), as MaintenanceWorker hands it over. */
  async runJob(data: RetentionJobData | undefined): Promise<RetentionSummary> {
    const summary = await this.run(this.clock.now(), data);
    this.logger.log(
      `retention: ${summary.deleted_events} events, ${summary.deleted_bodies} bodies, ` +
        `${summary.deleted_job_results} job results deleted`,
    );
    return summary;
  }

  /**
   * One transaction under the chain lock (so no batch is appended half-way through): the
   * SECURITY DEFINER function audit_apply_retention() deletes the oldest events as one prefix,
   * remembers their ids, leaves a checkpoint and drops old bodies (this app's role may do none of
   * that itself); then expired job rows go, and the `retention.run` event is appended through the
   * same writer the ingest uses, so the record of the run, which vouches for the checkpoint,
   * commits with the run itself.
   */
  async run(now: Date, cause?: RetentionJobData): Promise<RetentionSummary> {
    const eventsBefore = new Date(now.getTime() - this.config.AUDIT_RETENTION_DAYS * DAY_MS);
    const bodiesBefore = new Date(now.getTime() - this.config.AUDIT_BODY_RETENTION_DAYS * DAY_MS);
    return this.dataSource.transaction(async (manager) => {
      await lockChain(manager);
      const applied = await applyRetention(manager, eventsBefore, bodiesBefore);
      const deletedJobs = await count(
        manager,
        `DELETE FROM jobs WHERE expires_at < $1 RETURNING 1`,
        [now],
      );
      const summary: RetentionSummary = {
        deleted_events: applied.deleted_events,
        deleted_bodies: applied.deleted_bodies,
        deleted_job_results: deletedJobs,
        checkpoint: applied.checkpoint,
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
}

type Applied = Pick<RetentionSummary, 'deleted_events' | 'deleted_bodies' | 'checkpoint'>;

/** Calls the retention function (migration 1765000000000) and reads its one row back. */
async function applyRetention(
  manager: EntityManager,
  eventsBefore: Date,
  bodiesBefore: Date,
): Promise<Applied> {
  const [row] = await manager.query<
    {
      deleted_events: number;
      deleted_bodies: number;
      last_deleted_seq: string | null;
      last_deleted_hash: string | null;
    }[]
  >(
    `SELECT deleted_events::int AS deleted_events, deleted_bodies::int AS deleted_bodies,
            last_deleted_seq::text AS last_deleted_seq, last_deleted_hash
       FROM audit_apply_retention($1, $2)`,
    [eventsBefore, bodiesBefore],
  );
  if (!row) throw new Error('audit_apply_retention returned nothing');
  return {
    deleted_events: row.deleted_events,
    deleted_bodies: row.deleted_bodies,
    checkpoint:
      row.last_deleted_seq !== null && row.last_deleted_hash !== null
        ? { last_deleted_seq: row.last_deleted_seq, last_deleted_hash: row.last_deleted_hash }
        : null,
  };
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
