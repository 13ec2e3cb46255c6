import { signedAuditEvent } from '@gatehouse/audit';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import {
  AUDIT_EVENT_VERSION,
  AUDIT_JOB_NAME,
  AUDIT_JOB_OPTIONS,
  type AuditEvent,
} from './audit-contract.js';
import { QueueName } from './names.js';

export type AuditInput = Omit<AuditEvent, 'v' | 'id' | 'at' | 'mac'> & { at?: string };

/** Events are handed to Redis in small batches: one round trip for many, a few ms late. */
const FLUSH_AFTER_MS = 20;
const FLUSH_AT_COUNT = 200;

/**
 * Puts audit events on the durable `audit` queue. Callers never wait: events are handed to
 * Redis in the background, batched, and flushed on shutdown. An event that cannot be queued is
 * logged as lost (and counted), never dropped silently. Postgres is not involved on this side.
 */
@Injectable()
export class AuditProducer implements OnApplicationShutdown {
  private readonly logger = new Logger(AuditProducer.name);
  private buffer: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lost = 0;

  private readonly macKey: string;

  constructor(
    @InjectQueue(QueueName.audit) private readonly queue: Queue<AuditEvent>,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    if (!config.AUDIT_EVENT_KEY)
      throw new Error('AUDIT_EVENT_KEY is required to emit audit events');
    this.macKey = config.AUDIT_EVENT_KEY;
  }

  emit(input: AuditInput): void {
    const event: AuditEvent = {
      ...input,
      v: AUDIT_EVENT_VERSION,
      id: randomUUID(),
      at: input.at ?? new Date().toISOString(),
    };
    this.buffer.push(signedAuditEvent(this.macKey, event));
    if (this.buffer.length >= FLUSH_AT_COUNT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.buffer;
    this.buffer = [];
    if (events.length === 0) return;
    try {
      await this.queue.addBulk(
        events.map((event) => ({
          name: AUDIT_JOB_NAME,
          data: event,
          opts: { ...AUDIT_JOB_OPTIONS, jobId: event.id },
        })),
      );
    } catch (err) {
      this.lost += events.length;
      this.logger.error(
        `${events.length} audit events (${describe(events)}) could not be queued; ` +
          `${this.lost} lost so far: ${(err as Error).message}`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }
}

function describe(events: AuditEvent[]): string {
  const types = [...new Set(events.map((e) => e.type))];
  return types.slice(0, 5).join(', ') + (types.length > 5 ? ', ...' : '');
}
