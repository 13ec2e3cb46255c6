import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { lastValueFrom, timeout } from 'rxjs';
import { type BroadcastEvent, type BroadcastPayloads, broadcastChannel } from './names.js';
import { BroadcastClient } from './redis-transport.js';

/**
 * Publishes events every replica must see at once (Redis transport of @nestjs/microservices).
 * A failed publish is logged, not thrown: what it announces already happened, and every
 * receiver also refreshes on its own (caches expire within AUTH_CACHE_TTL_MS, the worker's
 * pool and cooldowns every 30 s).
 */
@Injectable()
export class BroadcastPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(BroadcastPublisher.name);
  private readonly client: BroadcastClient;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.client = new BroadcastClient(config);
  }

  async publish<E extends BroadcastEvent>(event: E, payload: BroadcastPayloads[E]): Promise<void> {
    const channel = broadcastChannel(this.config.REDIS_KEY_PREFIX, event);
    try {
      await lastValueFrom(this.client.emit(channel, payload).pipe(timeout(2_000)), {
        defaultValue: undefined,
      });
    } catch (err) {
      this.logger.warn(`could not broadcast ${event}: ${(err as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
