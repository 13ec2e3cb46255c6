import type { AppConfig, AppName } from '@gatehouse/config';
import {
  type QueueName,
  RedisRole,
  bullConnection,
  bullPrefix,
  releaseBullConnection,
} from '@gatehouse/queue';
import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import { createMetricsRegistry } from './metrics-registry.js';
import { listeningPort, startMetricsServer, stopMetricsServer } from './metrics-server.js';
import { registerQueueDepths } from './queue-depth.js';

export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const InjectMetricsRegistry = (): ParameterDecorator => Inject(METRICS_REGISTRY);

const METRICS_OPTIONS = Symbol('METRICS_OPTIONS');

type MetricsOptions = { config: AppConfig; app: AppName; queues: readonly QueueName[] };

/**
 * Serves the registry on METRICS_HOST:METRICS_PORT once the app has started, and stops with
 * it. With METRICS_PORT unset nothing listens and no queue is read.
 */
@Injectable()
export class MetricsEndpoint implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server: Server | undefined;
  private queues: Queue[] = [];
  private connection: unknown;

  constructor(
    @Inject(METRICS_OPTIONS) private readonly options: MetricsOptions,
    @InjectMetricsRegistry() private readonly registry: Registry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { config, queues } = this.options;
    if (config.METRICS_PORT === undefined) return;
    // One connection for every queue read; fails fast while Redis is down (a scrape then
    // leaves the depths out) instead of holding the scrape.
    this.connection = bullConnection(config, RedisRole.eventProducer);
    const prefix = bullPrefix(config.REDIS_KEY_PREFIX);
    this.queues = queues.map(
      (name) => new Queue(name, { connection: this.connection as never, prefix }),
    );
    for (const queue of this.queues) queue.on('error', () => undefined); // a scrape reports it
    registerQueueDepths(this.registry, this.queues);
    this.server = await startMetricsServer({
      registry: this.registry,
      host: config.METRICS_HOST,
      port: config.METRICS_PORT,
      token: config.METRICS_TOKEN,
    });
    // Never the token: only whether one is required.
    this.logger.log(
      `metrics on http://${config.METRICS_HOST}:${listeningPort(this.server)}/metrics` +
        (config.METRICS_TOKEN ? ' (bearer token required)' : ''),
    );
  }

  /** The port metrics are served on, once started (tests start with METRICS_PORT=0). */
  get port(): number | undefined {
    return this.server && listeningPort(this.server);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.server) await stopMetricsServer(this.server);
    await Promise.all(this.queues.map((q) => q.close().catch(() => undefined)));
    await releaseBullConnection(this.connection);
  }
}

/** The app's metric registry (global: each feature registers its own instruments on it). */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig, app: AppName, queues: readonly QueueName[]): DynamicModule {
    return {
      module: MetricsModule,
      providers: [
        { provide: METRICS_OPTIONS, useValue: { config, app, queues } },
        {
          provide: METRICS_REGISTRY,
          useValue: createMetricsRegistry(app, config.METRICS_PORT !== undefined),
        },
        MetricsEndpoint,
      ],
      exports: [METRICS_REGISTRY],
    };
  }
}
