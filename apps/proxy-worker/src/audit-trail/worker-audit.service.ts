import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { AuditProducer, type AuditEventType, type ProxyJobData } from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';

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
    bodies?: { request?: unknown; response?: unknown },
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
      ...(bodies && this.config.AUDIT_CAPTURE_BODIES ? { bodies } : {}),
    });
  }
}
