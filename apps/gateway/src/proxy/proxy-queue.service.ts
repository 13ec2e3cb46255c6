import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  BroadcastEvent,
  cancelKey,
  InjectRedis,
  PROXY_JOB_NAME,
  PROXY_JOB_OPTIONS,
  type ProxyJobData,
  QueueName,
  type RedisClient,
} from '@gatehouse/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { BroadcastPublisher } from '../events/broadcast.publisher.js';
import { bounded } from '../system/bounded.js';

// Enqueueing is a few Redis round trips; longer means Redis is in trouble.
const ENQUEUE_TIMEOUT_MS = 2_000;
const CANCEL_MARK_TTL_SECONDS = 300;

/** Puts proxy work on the queue and takes it back when the client goes away. */
@Injectable()
export class ProxyQueue {
  private readonly logger = new Logger(ProxyQueue.name);

  constructor(
    @InjectQueue(QueueName.proxy) private readonly queue: Queue<ProxyJobData>,
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly broadcast: BroadcastPublisher,
  ) {}

  /** Fails fast with 503 while Redis is unreachable, instead of letting the request hang. */
  async enqueue(data: ProxyJobData): Promise<void> {
    if (this.redis.status !== 'ready') throw unavailable();
    try {
      await bounded(
        () => this.queue.add(PROXY_JOB_NAME, data, { ...PROXY_JOB_OPTIONS, jobId: data.requestId }),
        ENQUEUE_TIMEOUT_MS,
      );
    } catch (err) {
      this.logger.warn(`could not enqueue: ${(err as Error).message}`);
      throw unavailable();
    }
  }

  /** The client went away: drop the job if still waiting, and tell the worker running it. */
  async cancel(requestId: string): Promise<void> {
    try {
      await this.redis.set(
        cancelKey(this.config.REDIS_KEY_PREFIX, requestId),
        '1',
        'EX',
        CANCEL_MARK_TTL_SECONDS,
      );
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
