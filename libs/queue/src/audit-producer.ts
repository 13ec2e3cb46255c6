import { signedAuditEvent } from '@gatehouse/audit';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import {
  AUDIT_EVENT_VERSION,
  AUDIT_EVENTS_PER_JOB,
  type AuditEvent,
  type AuditEventBatch,
} from './audit-contract.js';
import { auditBatchJob, auditJobBatches, nextJobLength } from './audit-job-batches.js';
import { QueueName } from './names.js';

export type AuditInput = Omit<AuditEvent, 'v' | 'id' | 'at' | 'mac'> & {
  at?: string;
  /**
   * An id derived from what the event records (outcomeEventId), for an event that must be stored
   * once even when its producer runs the same work twice. Default: a fresh random id.
   */
  id?: string;
};

/** Events are handed to Redis in small batches, one job each: a few ms late, far cheaper. */
const FLUSH_AFTER_MS = 20;
const FLUSH_AT_COUNT = AUDIT_EVENTS_PER_JOB;
/** While Redis is unreachable, queuing is retried with backoff between these bounds. */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;
/**
 * Events held in memory while Redis is unreachable (a few KiB each at most: bodies are capped
 * before they get here). Beyond it new events are counted and logged as lost, so an outage
 * cannot exhaust the process's memory.
 */
export const AUDIT_PRODUCER_MAX_HELD = 20_000;

/**
 * Puts audit events on the durable `audit` queue. Callers never wait: events are handed to
 * Redis in the background, batched, one job per batch. While Redis is unreachable they are held (up to
 * AUDIT_PRODUCER_MAX_HELD) and retried with backoff, in order, until it is back; only beyond
 * that bound, or still unsent at shutdown, is an event lost, and then it is logged and counted,
 * never dropped silently. A batch sent twice (its reply lost) is harmless: the same events make
 * the same job id, and the audit app stores an event id once. Postgres is not involved here.
 */
@Injectable()
export class AuditProducer implements OnApplicationShutdown {
  private readonly logger = new Logger(AuditProducer.name);
  private buffer: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private retryDelay = RETRY_MIN_MS;
  private outageSince: number | undefined;
  private lost = 0;
  /** Events emitted, and of them sent to the queue, since start (sent in the order emitted). */
  private emitted = 0;
  private sent = 0;
  /** Callers of queued(), each woken once the events emitted before it was called are sent. */
  private waiters: { upTo: number; wake: () => void }[] = [];

  private readonly macKey: string;

  constructor(
    @InjectQueue(QueueName.audit) private readonly queue: Queue<AuditEventBatch>,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    if (!config.AUDIT_EVENT_KEY)
      throw new Error('AUDIT_EVENT_KEY is required to emit audit events');
    this.macKey = config.AUDIT_EVENT_KEY;
  }

  emit(input: AuditInput): void {
    if (this.buffer.length >= AUDIT_PRODUCER_MAX_HELD) {
      this.lose(1, input.type, 'too many events held while Redis is unreachable');
      return;
    }
    const event: AuditEvent = {
      ...input,
      v: AUDIT_EVENT_VERSION,
      id: input.id ?? randomUUID(),
      at: input.at ?? new Date().toISOString(),
    };
    this.buffer.push(signedAuditEvent(this.macKey, event));
    this.emitted++;
    if (this.outageSince !== undefined) return; // the retry timer sends them
    if (this.buffer.length >= FLUSH_AT_COUNT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }

  /**
   * Resolves once every event emitted so far is on the queue (or given up for lost), without
   * hurrying the batch: for work that must not be marked done before its record is durable.
   */
  queued(): Promise<void> {
    const upTo = this.emitted;
    if (this.sent >= upTo) return Promise.resolve();
    return new Promise((wake) => this.waiters.push({ upTo, wake }));
  }

  /** Sends what is held; one send at a time, so events reach the queue in the order emitted. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sending ??= this.send().finally(() => (this.sending = undefined));
    return this.sending;
  }

  private async send(): Promise<void> {
    while (this.buffer.length > 0) {
      const events = this.buffer.splice(0, nextJobLength(this.buffer));
      try {
        await this.add(events);
      } catch (err) {
        this.buffer.unshift(...events); // first in line again
        this.retryLater(err as Error);
        return;
      }
      this.recovered();
      this.sent += events.length;
      // Per batch, not once the buffer is empty: under steady load it may never be.
      this.wake(this.sent);
    }
  }

  /** Wakes the waiters whose events are all sent (all of them: `Infinity`, at shutdown). */
  private wake(upTo: number): void {
    if (this.waiters.length === 0) return;
    const waiting: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.upTo <= upTo) w.wake();
      else waiting.push(w);
    }
    this.waiters = waiting;
  }

  /** One job (several only at shutdown: auditJobBatches), in one round trip. */
  private add(events: AuditEvent[]): Promise<unknown> {
    const jobs = auditJobBatches(events).map(auditBatchJob);
    const [only] = jobs;
    return jobs.length === 1 && only
      ? this.queue.add(only.name, only.data, only.opts)
      : this.queue.addBulk(jobs);
  }

  private retryLater(err: Error): void {
    if (this.outageSince === undefined) {
      this.outageSince = Date.now();
      this.logger.warn(`audit events cannot be queued (${err.message}); holding them and retrying`);
    }
    this.timer = setTimeout(() => void this.flush(), this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
  }

  private recovered(): void {
    if (this.outageSince === undefined) return;
    this.logger.log(
      `audit events queued again after ${Date.now() - this.outageSince} ms of holding them`,
    );
    this.outageSince = undefined;
    this.retryDelay = RETRY_MIN_MS;
  }

  private lose(count: number, types: string, why: string): void {
    this.lost += count;
    this.logger.error(
      `${count} audit event(s) (${types}) lost: ${why}; ${this.lost} lost since start`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sending; // a send in flight, then one last try for what is left
    clearTimeout(this.timer);
    this.timer = undefined;
    const left = this.buffer;
    this.buffer = [];
    if (left.length === 0) return this.wake(Infinity);
    try {
      await this.add(left);
    } catch (err) {
      this.lose(
        left.length,
        describe(left),
        `Redis unreachable at shutdown (${(err as Error).message})`,
      );
    }
    this.wake(Infinity); // sent or lost: nothing more will happen to them
  }
}

function describe(events: AuditEvent[]): string {
  const types = [...new Set(events.map((e) => e.type))];
  return types.slice(0, 5).join(', ') + (types.length > 5 ? ', ...' : '');
}
