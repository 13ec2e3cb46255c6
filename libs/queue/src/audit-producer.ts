import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import {
  AUDIT_EVENT_VERSION,
  AUDIT_JOB_NAME,
  AUDIT_JOB_OPTIONS,
  type AuditEvent,
} from './audit-contract.js';
import { QueueName } from './names.js';

export type AuditInput = Omit<AuditEvent, 'v' | 'id' | 'at'> & { at?: string };

/**
 * Puts audit events on the durable `audit` queue. Callers never wait: an event is handed to
 * Redis in the background, and one that cannot be queued is logged as lost (counted), never
 * dropped silently. Postgres is not involved on this side at all.
 */
@Injectable()
export class AuditProducer {
  private readonly logger = new Logger(AuditProducer.name);
  private lost = 0;

  constructor(@InjectQueue(QueueName.audit) private readonly queue: Queue<AuditEvent>) {}

  emit(input: AuditInput): void {
    const event: AuditEvent = {
      ...input,
      v: AUDIT_EVENT_VERSION,
      id: randomUUID(),
      at: input.at ?? new Date().toISOString(),
    };
    this.queue.add(AUDIT_JOB_NAME, event, { ...AUDIT_JOB_OPTIONS, jobId: event.id }).catch((err: Error) => {
      this.lost++;
      this.logger.error(
        `audit event ${event.type} ${event.id} could not be queued (${this.lost} lost so far): ${err.message}`,
      );
    });
  }

  get lostCount(): number {
    return this.lost;
  }
}
