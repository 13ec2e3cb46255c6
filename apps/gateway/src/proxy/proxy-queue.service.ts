import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  BroadcastEvent,
  InjectRedis,
  PROXY_JOB_NAME,
  PROXY_JOB_OPTIONS,
  type ProxyJobData,
  QueueName,
  type RedisClient,
  ReplicatedWrites,
  BroadcastPublisher,
  coalesceWrites,
} from '@gatehouse/queue';
import { InjectQueue } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import { bounded } from '../system/bounded.js';

// Enqueueing is a few Redis round trips; longer means Redis is in trouble.
const ENQUEUE_TIMEOUT_MS = 2_000;

/** Puts proxy work on the queue and takes it back when the client goes away. */
@Injectable()
export class ProxyQueue implements OnApplicationShutdown {
  private readonly logger = new Logger(ProxyQueue.name);
  private readonly replicated: ReplicatedWrites;

  constructor(
    @InjectQueue(QueueName.proxy) private readonly queue: Queue<ProxyJobData>,
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly broadcast: BroadcastPublisher,
  ) {
    this.replicated = new ReplicatedWrites(config);
    // BullMQ opens this client itself: the adds of concurrent requests share one socket write.
    // (Should it never connect, enqueue() says so; nothing to coalesce then.)
    void this.queue
      .getBackend()
      .client.then(coalesceWrites)
      .catch(() => undefined);
  }

  /**
   * Fails fast with 503 while Redis is unreachable, instead of letting the request hang. Behind
   * Sentinel a job counts as queued only once a replica holds it (or the server is confirmed as
   * the primary): a failover cannot take back a job the client was told is on its way.
   */
  async enqueue(data: ProxyJobData): Promise<void> {
    if (this.redis.status !== 'ready') throw unavailable();
    try {
      await bounded(async () => {
        // WAIT covers the writes of the connection it is sent on: the queue's own, checked as
        // soon as the add is answered.
        const client = await this.queue.getBackend().client;
        await this.queue.add(PROXY_JOB_NAME, data, { ...PROXY_JOB_OPTIONS, jobId: data.requestId });
        await this.replicated.confirm(client);
      }, ENQUEUE_TIMEOUT_MS);
    } catch (err) {
      this.logger.warn(`could not enqueue: ${(err as Error).message}`);
      throw unavailable();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.replicated.close();
  }

  /**
   * The client went away: tell the workers (the one running it aborts, the others remember it
   * should the job still reach them), and drop the job if it is still waiting.
   */
  async cancel(requestId: string): Promise<void> {
    try {
      await this.broadcast.publish(BroadcastEvent.proxyCancel, { requestId });
      await this.queue.remove(requestId).catch(() => 0); // refused while a worker holds it
    } catch (err) {
      this.logger.warn(`could not cancel ${requestId}: ${(err as Error).message}`);
    }
  }
}

function unavailable(): ServiceUnavailableException {
  return new ServiceUnavailableException('The request queue is unavailable; try again shortly');
}
