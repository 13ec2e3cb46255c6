import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  PROXY_JOB_VERSION,
  type ProxyJobData,
  type ProxyReply,
  QueueName,
  RedisRole,
  bullConnection,
  bullPrefix,
  closeQueueClient,
} from '@gatehouse/queue';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { WorkerAudit } from '../audit-trail/worker-audit.service.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { AsyncJobSinks } from '../jobs/async-job-sinks.js';
import {
  OUTAGE_PATIENCE_MS,
  SinkFailure,
  isOutageError,
  throughOutage,
} from '../replies/outage-patience.js';
import { ReplyStreams } from '../replies/reply-streams.js';
import type { ReplySink } from '../replies/reply-sink.js';
import { ProxyRunner } from './proxy-runner.js';
import { Cancellation } from './cancellation.js';
import { RecentCancellations } from './recent-cancellations.js';

/**
 * Consumes the `proxy` queue. A worker that dies mid-job loses its lock; BullMQ's stalled-job
 * check hands the job to another worker (or this one after restart) within PROXY_JOB_LOCK_MS.
 */
@Injectable()
export class ProxyWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProxyWorkerService.name);
  private worker: Worker<ProxyJobData> | undefined;
  private readonly running = new Map<string, Cancellation>();
  private readonly cancelledElsewhere = new RecentCancellations();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly runner: ProxyRunner,
    private readonly replies: ReplyStreams,
    private readonly asyncJobs: AsyncJobSinks,
    private readonly audit: WorkerAudit,
    private readonly metrics: WorkerMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker<ProxyJobData>(QueueName.proxy, (job) => this.process(job), {
      connection: bullConnection(this.config, RedisRole.queueWorker),
      prefix: bullPrefix(this.config.REDIS_KEY_PREFIX),
      // Sized for I/O (calls wait seconds upstream), bounded by memory: docs/deploy.md.
      concurrency: this.config.PROXY_WORKER_CONCURRENCY,
      // Lock renewal (one call for all active jobs every lockDuration/2) and the stalled check
      // (one per stalledInterval) cost per interval, not per job; the stalled check is what
      // hands a dead worker's job to another, so it stays on (no skipStalledCheck).
      lockDuration: this.config.PROXY_JOB_LOCK_MS,
      stalledInterval: this.config.PROXY_JOB_LOCK_MS,
      maxStalledCount: 2,
    });
    this.worker.on('error', (err) => this.logger.warn(`queue connection: ${err.message}`));
    this.worker.on('failed', (job, err) => {
      this.logger.warn(`job ${job?.id ?? '?'} failed: ${err.message}`);
      if (job?.data.v === PROXY_JOB_VERSION) void this.reportFailure(job.data, err);
    });
  }

  /**
   * A client went away (a broadcast): aborts the upstream call if this process runs the request,
   * else remembers it, should the job start here yet.
   */
  cancel(requestId: string): void {
    const running = this.running.get(requestId);
    if (running) running.abort();
    else this.cancelledElsewhere.add(requestId);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.worker) await closeQueueClient(this.worker);
  }

  private async process(job: Job<ProxyJobData>): Promise<void> {
    const data = job.data;
    if (data.v !== PROXY_JOB_VERSION) {
      throw new UnrecoverableError(`unsupported proxy job version ${String(data.v)}`);
    }
    this.metrics.jobStarted(Date.now() - job.timestamp);
    // Registered before the remembered cancellations are checked, so one arriving in between
    // is not lost. A cancelled request still runs through the runner, which sends nothing
    // upstream and records how it ended.
    const cancel = new Cancellation();
    this.running.set(data.requestId, cancel);
    if (this.cancelledElsewhere.take(data.requestId)) cancel.abort();
    try {
      const sink = await this.sinkFor(job);
      if (!sink) return;
      await this.runner.run(data, sink, cancel);
    } finally {
      this.running.delete(data.requestId);
      // Completed only once its record is on the audit queue: a worker killed in between
      // leaves the job to run again (its outcome event keeps one id) rather than unrecorded.
      await this.audit.queued();
    }
  }

  /**
   * Nobody may be left waiting on a job BullMQ gave up on: tell the client or the job row. A job
   * that failed because Redis or Postgres went away is a 503 (retry), anything else a 500.
   */
  private async reportFailure(data: ProxyJobData, err: Error): Promise<void> {
    const message = 'The request could not be processed; please retry';
    const outage = err instanceof SinkFailure || isOutageError(err);
    const failure: ProxyReply = outage
      ? { type: 'error', status: 503, errorType: 'service_unavailable', message }
      : { type: 'error', status: 500, errorType: 'internal_error', message };
    const giveUpAt = Date.now() + OUTAGE_PATIENCE_MS;
    try {
      if (data.reply.kind === 'async') {
        const { jobId } = data.reply;
        await throughOutage(() => this.asyncJobs.failIfUnfinished(jobId, failure), giveUpAt);
        this.audit.record('job.failed', data, { job_id: jobId, status: failure.status });
      } else {
        const sent = await this.replies.sentCount(data.requestId, data.reply);
        await this.replies
          .forRequest(data.requestId, data.reply, { alreadySent: sent, deadline: data.deadline })
          .send(failure);
      }
    } catch (err) {
      this.logger.warn(`could not report failed job ${data.requestId}: ${(err as Error).message}`);
    }
  }

  /** Records job.completed / job.failed as an async job's outcome is stored. */
  private withJobAudit(sink: ReplySink, data: ProxyJobData, jobId: string): ReplySink {
    return {
      send: async (reply) => {
        await sink.send(reply);
        if (reply.type !== 'result' && reply.type !== 'error') return;
        const ok = reply.type === 'result' && reply.status < 300;
        this.audit.record(ok ? 'job.completed' : 'job.failed', data, {
          job_id: jobId,
          status: reply.status,
        });
      },
    };
  }

  /** Where the outcome goes, or undefined when nobody is waiting for it any more. */
  private async sinkFor(job: Job<ProxyJobData>): Promise<ReplySink | undefined> {
    const data = job.data;
    if (data.reply.kind === 'async') {
      const { jobId } = data.reply;
      // Postgres away for a moment must not fail a job that has not even started.
      const giveUpAt = Date.now() + OUTAGE_PATIENCE_MS;
      const sink = await throughOutage(() => this.asyncJobs.forJob(jobId), giveUpAt);
      if (sink) return this.withJobAudit(sink, data, jobId);
      // Finished already: by an earlier run of this job whose worker died before completing it.
      const done = await throughOutage(() => this.asyncJobs.finishedOutcome(jobId), giveUpAt);
      if (done) this.audit.recordRecovered(data, done, { id: jobId, ok: done.ok });
      return undefined;
    }
    if (Date.now() > data.deadline) return undefined;
    // Picked up again after a worker died: whatever already reached the client is not redone.
    // A JSON answer was delivered whole; a stream partly sent cannot be replayed.
    const sent =
      (job.attemptsStarted ?? 1) > 1 ? await this.replies.sentCount(data.requestId, data.reply) : 0;
    const sink = this.replies.forRequest(data.requestId, data.reply, {
      alreadySent: sent,
      slotSets: data.slots,
      deadline: data.deadline,
    });
    if (sent > 0) {
      // Its first run answered (all of it, or the start of a stream): its record, once.
      this.audit.recordRecovered(data, { status: null });
      if (data.stream) {
        await sink.send({
          type: 'error',
          status: 502,
          errorType: 'upstream_error',
          message: 'The worker handling this stream stopped; please retry',
        });
      }
      return undefined;
    }
    return sink;
  }
}
