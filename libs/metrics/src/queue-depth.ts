import { Gauge, type Registry } from 'prom-client';

/** The job states whose counts are exported, as BullMQ names them. */
export const QUEUE_STATES = ['waiting', 'active', 'failed', 'delayed'] as const;

/** What the collector needs of a BullMQ Queue. */
export type CountableQueue = {
  name: string;
  getJobCounts(...states: string[]): Promise<Record<string, number>>;
};

/**
 * `gatehouse_queue_jobs{queue,state}`, read from Redis when Prometheus scrapes (one call per
 * queue), never on the request path. A queue Redis cannot answer for is left out of that scrape
 * rather than reported as empty.
 */
export function registerQueueDepths(registry: Registry, queues: readonly CountableQueue[]): void {
  new Gauge({
    name: 'gatehouse_queue_jobs',
    help: 'Jobs in each BullMQ queue by state, read at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await Promise.all(
        queues.map((q) => q.getJobCounts(...QUEUE_STATES).catch(() => undefined)),
      );
      queues.forEach((queue, i) => {
        const count = counts[i];
        if (!count) return;
        for (const state of QUEUE_STATES) {
          this.labels({ queue: queue.name, state }).set(count[state] ?? 0);
        }
      });
    },
  });
}
