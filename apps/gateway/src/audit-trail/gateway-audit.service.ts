import { AuditProducer, type AuditEventType } from '@gatehouse/queue';
import { Injectable } from '@nestjs/common';
import { currentRequestContext } from './request-context.js';

/** The gateway's audit events, stamped with the current request's context and actor. */
@Injectable()
export class GatewayAudit {
  constructor(private readonly producer: AuditProducer) {}

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
        path: ctx.path,
      },
      data,
    });
  }

  /** Marks who the request turned out to be, once authentication knows. */
  identify(actor: 'admin' | 'client', keyId?: string): void {
    const ctx = currentRequestContext();
    if (!ctx) return;
    ctx.actor = actor;
    ctx.key_id = keyId;
  }
}
