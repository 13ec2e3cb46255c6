import { hasValidAuditEventMac } from '@gatehouse/audit';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { isDatabaseUnavailableError } from '@gatehouse/db';
import {
  QueueName,
  RedisRole,
  bullConnection,
  bullPrefix,
  releaseBullConnection,
} from '@gatehouse/queue';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Job, WaitingError, Worker } from 'bullmq';
import { AuditChainWriter } from '../chain/audit-chain-writer.js';
import { AuditMetrics } from '../metrics/audit-metrics.js';
import {
  AuditEventPreparer,
  type DeadLetter,
  type Prepared,
  type PreparedEvent,
} from './audit-event-preparer.js';
import { closesBatch, FIRST_ATTEMPT, nextAttempt, writesOneByOne } from './ingest-batching.js';
import { type QueuedEvent, queuedEvents } from './queued-events.js';

type Pending = {
  job: Job<unknown>;
  token: string | undefined;
  /** What the job carries: one event, or a producer's batch of them (queued-events.ts). */
  events: QueuedEvent[];
  done: () => void;
  giveBack: (err: Error) => void;
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Consumes the `audit` queue in batches: up to AUDIT_BATCH_SIZE events (from jobs of one event
 * or of a producer's batch), or whatever arrived within AUDIT_BATCH_WAIT_MS of the first one,
 * written in one transaction.
 *
 * BullMQ (OSS) has no batch API. Instead of fetching jobs by hand, the worker runs with a
 * concurrency of two batches and its processor only parks each job in the current batch and
 * waits for that batch's commit. BullMQ keeps doing what it does well (fetching in queue
 * order, renewing the locks of jobs held for a long time, handing a dead replica's jobs to
 * another), and a job is completed only when its processor returns, i.e. after the commit.
 *
 * Batches are written one after another. While Postgres is unreachable the current batch is
 * retried with backoff and its jobs stay active (locked); the rest wait in Redis, and nothing is
 * completed, so nothing is lost. A job redelivered after a crash between commit and completion
 * is recognised by its event id and not stored twice.
 */
@Injectable()
export class AuditIngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditIngestService.name);
  private worker: Worker<unknown> | undefined;
  private pending: Pending[] = [];
  private pendingEvents = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private stopping = false;
  private outageSince: number | undefined;
  private readonly macKey: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly preparer: AuditEventPreparer,
    private readonly writer: AuditChainWriter,
    private readonly metrics: AuditMetrics,
  ) {
    if (!config.AUDIT_EVENT_KEY)
      throw new Error('AUDIT_EVENT_KEY is required to accept audit events');
    this.macKey = config.AUDIT_EVENT_KEY;
  }

  onApplicationBootstrap(): void {
    this.worker = new Worker<unknown>(QueueName.audit, (job, token) => this.enqueue(job, token), {
      connection: bullConnection(this.config, RedisRole.queueWorker),
      prefix: bullPrefix(this.config.REDIS_KEY_PREFIX),
      concurrency: this.config.AUDIT_BATCH_SIZE * 2,
      lockDuration: 30_000,
      // Redelivery is harmless (idempotent by event id): never fail an event for stalling.
      maxStalledCount: 1_000_000,
    });
    this.worker.on('error', (err) => this.logger.warn(`audit queue connection: ${err.message}`));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const closing = this.worker?.close();
    this.cut();
    await this.writing;
    await closing;
    await releaseBullConnection(this.worker?.opts.connection);
  }

  private enqueue(job: Job<unknown>, token: string | undefined): Promise<void> {
    return new Promise<void>((done, giveBack) => {
      const events = queuedEvents(job.name, job.data, job.id ?? null);
      this.pending.push({ job, token, events, done, giveBack });
      this.pendingEvents += events.length;
      if (closesBatch(this.pendingEvents, this.config.AUDIT_BATCH_SIZE, this.stopping)) this.cut();
      else this.timer ??= setTimeout(() => this.cut(), this.config.AUDIT_BATCH_WAIT_MS);
    });
  }

  /** Closes the current batch and queues it for writing after the ones before it. */
  private cut(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingEvents = 0;
    this.writing = this.writing
      .then(() => this.writeBatch(batch))
      .catch((err: Error) => {
        // Not expected (writeBatch handles its failures); never let one batch stop the ones after
        // it. BullMQ retries these jobs (AUDIT_JOB_OPTIONS) and keeps them if they keep failing.
        this.logger.error(`audit batch of ${batch.length} abandoned: ${err.message}`);
        for (const p of batch) p.giveBack(err);
      });
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const startedAt = performance.now();
    const events: PreparedEvent[] = [];
    const deadLetters: DeadLetter[] = [];
    /** Where each prepared event came from, for a dead letter should Postgres refuse it alone. */
    const sources = new Map<string, QueuedEvent>();
    for (const queued of batch.flatMap((p) => p.events)) {
      const prepared = this.prepare(queued);
      if (prepared.ok) {
        events.push(prepared.event);
        sources.set(prepared.event.fields.event_id, queued);
      } else deadLetters.push(prepared.deadLetter);
    }
    const count = events.length + deadLetters.length; // each queued event is one or the other
    for (let attempt = FIRST_ATTEMPT; ;) {
      try {
        if (writesOneByOne(attempt)) await this.writeOneByOne(events, deadLetters, sources);
        else await this.writer.write(events, deadLetters);
        this.recovered();
        this.metrics.batchWritten(
          count,
          performance.now() - startedAt,
          batch.reduce((oldest, p) => Math.min(oldest, p.job.timestamp), Infinity),
        );
        for (const p of batch) p.done();
        if (deadLetters.length > 0)
          this.logger.warn(`${deadLetters.length} malformed audit event(s) dead-lettered`);
        return;
      } catch (err) {
        const unavailable = isDatabaseUnavailableError(err);
        this.failed(err as Error, unavailable, count);
        if (this.stopping) return this.giveBack(batch);
        await sleep(attempt.delayMs);
        attempt = nextAttempt(attempt, unavailable);
      }
    }
  }

  /** Checks one queued event's signature and shape: an event to chain, or a dead letter. */
  private prepare(queued: QueuedEvent): Prepared {
    const { raw, source, refused } = queued;
    try {
      if (refused !== undefined)
        return { ok: false, deadLetter: this.preparer.deadLetter(raw, source, refused) };
      if (!hasValidAuditEventMac(this.macKey, raw)) {
        // Whoever can write to Redis cannot add history: only holders of the key can sign.
        const reason = 'unsigned or badly signed event (AUDIT_EVENT_KEY)';
        return { ok: false, deadLetter: this.preparer.deadLetter(raw, source, reason) };
      }
      return this.preparer.prepare(raw, source);
    } catch (err) {
      const reason = `could not be prepared: ${(err as Error).name}`;
      return { ok: false, deadLetter: { job_id: source, reason, payload: null } };
    }
  }

  /**
   * Last resort for a batch Postgres keeps refusing while reachable (a value validation did not
   * foresee): each event alone, and one that still fails becomes a dead letter, so one bad
   * event cannot hold up the queue.
   */
  private async writeOneByOne(
    events: PreparedEvent[],
    deadLetters: DeadLetter[],
    sources: ReadonlyMap<string, QueuedEvent>,
  ): Promise<void> {
    for (const event of events) {
      try {
        await this.writer.write([event]);
      } catch (err) {
        if (isDatabaseUnavailableError(err)) throw err;
        const queued = sources.get(event.fields.event_id);
        await this.writer.write(
          [],
          [
            this.preparer.deadLetter(
              queued?.raw ?? event.fields,
              queued?.source ?? null,
              `not storable: ${(err as Error).message}`,
            ),
          ],
        );
      }
    }
    await this.writer.write([], deadLetters);
  }

  /** Shutting down with the batch unwritten: put its jobs back in the queue for the next consumer. */
  private async giveBack(batch: Pending[]): Promise<void> {
    await Promise.all(
      batch.map(async (p) => {
        await p.job.moveToWait(p.token).catch(() => undefined); // else: lock expires, job is redelivered
        p.giveBack(new WaitingError());
      }),
    );
  }

  private failed(err: Error, unavailable: boolean, size: number): void {
    if (unavailable && this.outageSince !== undefined) return; // said once per outage
    if (unavailable) this.outageSince = Date.now();
    this.logger.warn(
      `audit batch of ${size} not written (${unavailable ? 'Postgres unreachable' : 'refused'}: ${err.message}); ` +
        'the events stay queued and are retried',
    );
  }

  private recovered(): void {
    if (this.outageSince === undefined) return;
    this.logger.log(
      `Postgres reachable again after ${Date.now() - this.outageSince} ms; audit backlog resumes`,
    );
    this.outageSince = undefined;
  }
}
