import { boundJson, REDACTION_MARGIN_CHARS } from '@gatehouse/audit';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  AuditProducer,
  type AuditEventType,
  outcomeEventId,
  type ProxyJobData,
} from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';

type Bodies = { request?: unknown; response?: unknown };

/**
 * A job's outcome is recorded once however often the job runs (BullMQ runs it again when its
 * worker died before completing it): these events take an id derived from the job's id.
 */
const ONE_PER_JOB: ReadonlySet<AuditEventType> = new Set([
  'request.completed',
  'job.completed',
  'job.failed',
]);

/** The worker's audit events, carrying the originating request's context from the job. */
@Injectable()
export class WorkerAudit {
  constructor(
    private readonly producer: AuditProducer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get capturesBodies(): boolean {
    return this.config.AUDIT_CAPTURE_BODIES;
  }

  /** Bytes of a response kept for the audit record (the audit app caps and redacts again). */
  get bodyLimit(): number {
    return this.config.AUDIT_BODY_MAX_BYTES;
  }

  record(
    type: AuditEventType,
    job: ProxyJobData,
    data: Record<string, unknown>,
    bodies?: Bodies,
  ): void {
    this.producer.emit({
      ...(ONE_PER_JOB.has(type) ? { id: outcomeEventId(job.requestId, type) } : {}),
      type,
      actor: 'client',
      key_id: job.keyId,
      request: {
        request_id: job.client.requestId,
        ip: job.client.ip,
        method: job.client.method,
        path: job.client.path,
      },
      data,
      ...(bodies && this.config.AUDIT_CAPTURE_BODIES ? { bodies: this.bounded(bodies) } : {}),
    });
  }

  /**
   * The outcome of a job run again after its worker died having delivered it (a sync answer
   * sent, an async row finished) but perhaps before its events reached the queue. Same ids as
   * the first run's: stored only if those never arrived; `recovered` says the details are what
   * survived (an async job's row), not what the first run measured.
   */
  recordRecovered(
    job: ProxyJobData,
    outcome: { status: number | null; usage?: { input: number; output: number } | null },
    asyncJob?: { id: string; ok: boolean },
  ): void {
    this.record('request.completed', job, {
      endpoint: job.endpoint,
      model: job.model,
      stream: job.stream,
      status: outcome.status,
      recovered: true,
      tokens_in: outcome.usage?.input ?? 0,
      tokens_out: outcome.usage?.output ?? 0,
    });
    if (asyncJob)
      this.record(asyncJob.ok ? 'job.completed' : 'job.failed', job, {
        job_id: asyncJob.id,
        status: outcome.status,
      });
  }

  /** Resolves once every event recorded so far is on the audit queue. */
  queued(): Promise<void> {
    return this.producer.queued();
  }

  /**
   * Only what the audit app can keep goes on the queue (the cap, plus the margin it redacts
   * across), so a 1 MiB prompt costs neither Redis memory nor audit CPU beyond the cap.
   */
  private bounded(bodies: Bodies): Bodies {
    return boundJson(bodies, this.config.AUDIT_BODY_MAX_BYTES + REDACTION_MARGIN_CHARS)
      .value as Bodies;
  }
}
