import { Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric name Gatehouse exports starts with this. */
export const METRIC_PREFIX = 'gatehouse_';

/**
 * One registry per process, labelled with the app's name. Node's process metrics (CPU, memory,
 * event-loop lag, GC) are collected only when metrics are served: their event-loop and GC
 * observers cost something even when nobody scrapes.
 */
export function createMetricsRegistry(app: string, serve: boolean): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  if (serve) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}
