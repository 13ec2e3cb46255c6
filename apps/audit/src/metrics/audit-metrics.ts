import { InjectMetricsRegistry } from '@gatehouse/metrics';
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DataSource } from 'typeorm';

const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const BATCH_TIME_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The audit app's instruments; the chain's length is read from Postgres at scrape time. */
@Injectable()
export class AuditMetrics {
  private readonly written: Counter;
  private readonly deadLetters: Counter;
  private readonly batchSize: Histogram;
  private readonly batchTime: Histogram;
  private readonly lag: Gauge;

  constructor(@InjectMetricsRegistry() registry: Registry, dataSource: DataSource) {
    const registers = [registry];
    this.written = new Counter({
      name: 'gatehouse_audit_events_written_total',
      help: 'Audit events appended to the chain (redelivered duplicates not counted)',
      registers,
    });
    this.deadLetters = new Counter({
      name: 'gatehouse_audit_dead_letters_total',
      help: 'Audit events refused (malformed, badly signed, not storable) and kept as dead letters',
      registers,
    });
    this.batchSize = new Histogram({
      name: 'gatehouse_audit_batch_size',
      help: 'Events per written batch',
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.batchTime = new Histogram({
      name: 'gatehouse_audit_batch_duration_seconds',
      help: 'Time to write one batch, retries during an outage included',
      buckets: BATCH_TIME_BUCKETS,
      registers,
    });
    this.lag = new Gauge({
      name: 'gatehouse_audit_lag_seconds',
      help: 'Age of the oldest event of the last written batch when it was committed',
      registers,
    });
    new Gauge({
      name: 'gatehouse_audit_chain_length',
      help: 'Links in the audit chain: the last sequence number, retention-deleted records included',
      registers,
      async collect() {
        // Two index lookups (max of a primary key), not a count of the table.
        const [row] = await dataSource.query<{ length: string | null }[]>(
          `SELECT GREATEST((SELECT max(seq) FROM audit_events),
                           (SELECT max(last_deleted_seq) FROM audit_checkpoints)) AS length`,
        );
        this.set(Number(row?.length ?? 0));
      },
    });
  }

  /** After a transaction that appended `inserted` events and `deadLetters` dead letters. */
  stored(inserted: number, deadLetters: number): void {
    if (inserted > 0) this.written.inc(inserted);
    if (deadLetters > 0) this.deadLetters.inc(deadLetters);
  }

  /** `oldestQueuedAt`: epoch ms the batch's oldest event was queued (its producer's clock). */
  batchWritten(size: number, ms: number, oldestQueuedAt: number): void {
    this.batchSize.observe(size);
    this.batchTime.observe(ms / 1000);
    this.lag.set(Math.max(0, Date.now() - oldestQueuedAt) / 1000);
  }
}
