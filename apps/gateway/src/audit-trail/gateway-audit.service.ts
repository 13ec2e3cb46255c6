import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { AuditProducer, type AuditEventType } from '@gatehouse/queue';
import { createRedactor, type Redactor } from '@gatehouse/redact';
import { Inject, Injectable } from '@nestjs/common';
import { attempt } from '../system/bounded.js';
import { currentRequestContext } from './request-context.js';

/** The gateway's audit events, stamped with the current request's context and actor. */
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

  record(type: AuditEventType, data: Record<string, unknown> = {}, keyId?: string): void {
    const ctx = currentRequestContext();
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

  /** Marks who the request turned out to be, once authentication knows. */
  identify(actor: 'admin' | 'client', keyId?: string): void {
    const ctx = currentRequestContext();
    if (!ctx) return;
    ctx.actor = actor;
    ctx.key_id = keyId;
  }
}
