import { boundJson, REDACTION_MARGIN_CHARS } from '@gatehouse/audit';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { AuditProducer, type AuditEventType, type ProxyJobData } from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';

type Bodies = { request?: unknown; response?: unknown };

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
   * Only what the audit app can keep goes on the queue (the cap, plus the margin it redacts
   * across), so a 1 MiB prompt costs neither Redis memory nor audit CPU beyond the cap.
   */
  private bounded(bodies: Bodies): Bodies {
    return boundJson(bodies, this.config.AUDIT_BODY_MAX_BYTES + REDACTION_MARGIN_CHARS)
      .value as Bodies;
  }
}
