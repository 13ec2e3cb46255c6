import { InjectRedis, QueueName, type RedisClient } from '@gatehouse/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { attempt, bounded, elapsedMs, parseRedisInfo } from './bounded.js';

export type DependencyHealth = {
  up: boolean;
  latency_ms: number | null;
  version?: string;
  error?: string;
};

export type QueueHealth =
  | {
      available: true;
      waiting: number;
      prioritized: number;
      active: number;
      delayed: number;
      failed: number;
      completed: number;
      paused: boolean | null;
      /** Live workers (connections named by BullMQ for this queue); null where CLIENT LIST is refused. */
      workers: number | null;
    }
  | { available: false; error: string };

export type AuditLag =
  | {
      available: true;
      /**
       * Jobs on the audit queue not yet written to Postgres (waiting, retrying or in a batch):
       * each a producer's flush of up to AUDIT_EVENTS_PER_JOB (200) events.
       */
      waiting_jobs: number;
      /** Age of the oldest of them, 0 when none waits. */
      oldest_waiting_age_ms: number;
    }
  | { available: false; error: string };

export type SystemHealth = {
  status: 'ok' | 'degraded';
  checked_at: string;
  postgres: DependencyHealth;
  redis: DependencyHealth;
  queues: Record<QueueName, QueueHealth>;
  audit_lag: AuditLag;
};

/**
 * The operator's health page: each dependency and queue probed concurrently, each probe
 * bounded, and a dependency that is down reported as down rather than failing the page.
 */
@Injectable()
export class SystemHealthService {
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    private readonly dataSource: DataSource,
    @InjectRedis() private readonly redis: RedisClient,
    @InjectQueue(QueueName.proxy) proxy: Queue,
    @InjectQueue(QueueName.audit) audit: Queue,
    @InjectQueue(QueueName.auditMaintenance) auditMaintenance: Queue,
  ) {
    this.queues = {
      [QueueName.proxy]: proxy,
      [QueueName.audit]: audit,
      [QueueName.auditMaintenance]: auditMaintenance,
    };
  }

  async check(now = Date.now()): Promise<SystemHealth> {
    const names = Object.keys(this.queues) as QueueName[];
    const [postgres, redis, auditLag, ...queueHealth] = await Promise.all([
      this.postgres(),
      this.redisHealth(),
      this.auditLag(now),
      ...names.map((name) => this.queueHealth(this.queues[name])),
    ]);
    const queues = Object.fromEntries(names.map((name, i) => [name, queueHealth[i]])) as Record<
      QueueName,
      QueueHealth
    >;
    return {
      status: postgres.up && redis.up ? 'ok' : 'degraded',
      checked_at: new Date(now).toISOString(),
      postgres,
      redis,
      queues,
      audit_lag: auditLag,
    };
  }

  private async postgres(): Promise<DependencyHealth> {
    const start = performance.now();
    try {
      const rows = await bounded(() =>
        this.dataSource.query<{ server_version: string }[]>('SHOW server_version'),
      );
      return { up: true, latency_ms: elapsedMs(start), version: rows[0]?.server_version };
    } catch (err) {
      return { up: false, latency_ms: null, error: probeError(err) };
    }
  }

  private async redisHealth(): Promise<DependencyHealth> {
    const start = performance.now();
    try {
      await bounded(() => this.redis.ping());
      const latency = elapsedMs(start);
      const info = await attempt(() => this.redis.info('server'));
      const version = info ? parseRedisInfo(info).get('redis_version') : undefined;
      return { up: true, latency_ms: latency, ...(version ? { version } : {}) };
    } catch (err) {
      return { up: false, latency_ms: null, error: probeError(err) };
    }
  }

  private async queueHealth(queue: Queue): Promise<QueueHealth> {
    try {
      const [counts, paused, workers] = await Promise.all([
        bounded(() =>
          queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'),
        ),
        attempt(() => queue.isPaused()),
        attempt(() => queue.getWorkersCount()),
      ]);
      return {
        available: true,
        waiting: counts.waiting ?? 0,
        prioritized: counts.prioritized ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        completed: counts.completed ?? 0,
        paused: paused ?? null,
        workers: workers ?? null,
      };
    } catch (err) {
      return { available: false, error: probeError(err) };
    }
  }

  /** How far the audit writer is behind: jobs queued but not yet stored, and the oldest one's age. */
  private async auditLag(now: number): Promise<AuditLag> {
    const queue = this.queues[QueueName.audit];
    try {
      const [counts, oldest] = await Promise.all([
        bounded(() => queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed')),
        // Lists are pushed on the left, so the oldest job of each state is its first in ascending order.
        bounded(() => queue.getJobs(['wait', 'prioritized', 'active', 'delayed'], 0, 0, true)),
      ]);
      const waiting = Object.values(counts).reduce((sum, n) => sum + n, 0);
      const oldestAt = Math.min(
        ...oldest.map((job) => job.timestamp).filter((t) => Number.isFinite(t)),
      );
      return {
        available: true,
        waiting_jobs: waiting,
        oldest_waiting_age_ms:
          waiting > 0 && Number.isFinite(oldestAt) ? Math.max(0, now - oldestAt) : 0,
      };
    } catch (err) {
      return { available: false, error: probeError(err) };
    }
  }
}

/** A short, internals-free reason for a failed probe. */
function probeError(err: unknown): string {
  return err instanceof Error && err.message === 'timed out' ? 'timed out' : 'unreachable';
}
