import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { AuditProducer, type AuditEventType } from '@gatehouse/queue';
import { createRedactor, type Redactor } from '@gatehouse/redact';
import { Inject, Injectable } from '@nestjs/common';
import { attempt } from '../system/bounded.js';
import type { RequestContext } from './request-context.js';

/** The gateway's audit events, stamped with the context and actor of the request behind each. */
@Injectable()
export class GatewayAudit {
  /**
   * The exact values of the gateway's own secrets leave it only as [REDACTED]: the audit app
   * does not hold them (it redacts by shape and name), so this is the one place that can.
   */
  private readonly ownSecrets: Redactor;

  constructor(
    private readonly producer: AuditProducer,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ownSecrets = createRedactor([config.ADMIN_API_KEY, config.KEY_PEPPER]);
  }

  /** `ctx`: the request behind the event (undefined for the system's own doing). */
  record(
    ctx: RequestContext | undefined,
    type: AuditEventType,
    data: Record<string, unknown> = {},
    keyId?: string,
  ): void {
    this.producer.emit({
      type,
      actor: ctx?.actor ?? 'system',
      key_id: keyId ?? ctx?.key_id,
      request: ctx && {
        request_id: ctx.request_id,
        ip: ctx.ip,
        method: ctx.method,
        path: this.ownSecrets.text(ctx.path),
      },
      // What an operator did through the console names the session it was done in.
      data: this.ownSecrets.value(ctx?.session ? { ...data, console_session: ctx.session } : data),
    });
  }

  /**
   * Resolves once every event recorded so far is on the audit queue, or after `atMostMs` (the
   * events stay held and are sent when Redis allows): for a response that must not go out
   * before its record is durable, without hanging it on a Redis outage.
   */
  async queued(atMostMs: number): Promise<void> {
    await attempt(() => this.producer.queued(), atMostMs);
  }
}
