import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  InjectRedis,
  type ProxyReply,
  redisOptionsFromUrl,
  replyNotifyChannel,
  replyStreamKey,
} from '@gatehouse/queue';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** Reads after a notification; also every POLL_MS in case a notification was lost. */
const POLL_MS = 500;

export class ReplyTimeoutError extends Error {}
export class ReplyReadError extends Error {}
/** The request's channel was closed (its client went away) while a reply was awaited. */
export class ReplyClosedError extends Error {}

/** Replies of one request, in order, each delivered once. */
export type ReplyChannel = {
  next(deadline: number): Promise<ProxyReply>;
  close(): void;
};

class Waiter {
  lastId = '0-0';
  reading = false;
  again = false;
  private readonly buffered: ProxyReply[] = [];
  private pending: { resolve: (r: ProxyReply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  push(reply: ProxyReply): void {
    if (this.pending) {
      const { resolve } = this.pending;
      this.pending = undefined;
      resolve(reply);
    } else {
      this.buffered.push(reply);
    }
  }

  fail(err: Error): void {
    this.failure = err;
    this.pending?.reject(err);
    this.pending = undefined;
  }

  next(deadline: number): Promise<ProxyReply> {
    const ready = this.buffered.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pending = undefined;
          reject(new ReplyTimeoutError('no reply before the deadline'));
        },
        Math.max(0, deadline - Date.now()),
      );
      this.pending = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }
}

/**
 * Receives workers' replies for the requests this gateway instance is waiting on. One pub/sub
 * connection carries "stream X has news" for all of them; the entries themselves are read from
 * each request's Redis Stream from the last id seen, so order holds and nothing is delivered
 * twice, and a missed notification only delays a read until the next poll.
 */
@Injectable()
export class ReplyHub implements OnModuleInit, OnApplicationShutdown {
  readonly gatewayId = randomUUID();
  private readonly logger = new Logger(ReplyHub.name);
  private readonly waiters = new Map<string, Waiter>();
  private readonly prefix: string;
  private subscriber: Redis | undefined;
  private poller: NodeJS.Timeout | undefined;

  constructor(
    @InjectRedis() private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  async onModuleInit(): Promise<void> {
    const subscriber = new Redis({
      ...redisOptionsFromUrl(this.config.REDIS_URL),
      lazyConnect: true,
      retryStrategy: (times) => Math.min(100 * times, 1_000),
    });
    subscriber.on('error', () => undefined); // the command connection reports outages
    subscriber.on('message', (_channel: string, requestId: string) => void this.pull(requestId));
    this.subscriber = subscriber;
    // Subscribing is queued until connected; ioredis re-subscribes after every reconnect.
    void subscriber
      .subscribe(replyNotifyChannel(this.prefix, this.gatewayId))
      .catch(() => undefined);
    await subscriber.connect().catch(() => this.logger.warn('reply channel waits for Redis'));
    this.poller = setInterval(() => {
      for (const id of this.waiters.keys()) void this.pull(id);
    }, POLL_MS);
    this.poller.unref();
  }

  open(requestId: string): ReplyChannel {
    const waiter = new Waiter();
    this.waiters.set(requestId, waiter);
    return {
      next: (deadline) => waiter.next(deadline),
      close: () => {
        this.waiters.delete(requestId);
        // Wake a pending next(): nothing would resolve it before the deadline otherwise.
        waiter.fail(new ReplyClosedError('reply channel closed'));
      },
    };
  }

  onApplicationShutdown(): void {
    clearInterval(this.poller);
    this.subscriber?.disconnect();
  }

  private async pull(requestId: string): Promise<void> {
    const waiter = this.waiters.get(requestId);
    if (!waiter) return;
    if (waiter.reading) {
      waiter.again = true;
      return;
    }
    waiter.reading = true;
    const key = replyStreamKey(this.prefix, requestId);
    try {
      do {
        waiter.again = false;
        const result = await this.redis.xread('COUNT', 1000, 'STREAMS', key, waiter.lastId);
        for (const [, entries] of result ?? []) {
          for (const [id, fields] of entries) {
            waiter.lastId = id;
            waiter.push(JSON.parse(fields[1] ?? 'null') as ProxyReply);
          }
        }
      } while (waiter.again && this.waiters.has(requestId));
    } catch (err) {
      waiter.fail(new ReplyReadError((err as Error).message));
    } finally {
      waiter.reading = false;
    }
  }
}
