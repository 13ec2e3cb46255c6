import type { AppConfig } from '@gatehouse/config';
import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { bullPrefix } from './names.js';
import { bullConnection, releaseBullConnection } from './bull-connection.js';
import type { RedisRole } from './redis-connections.js';

const QUEUE_ROOT_CONNECTION = Symbol('QUEUE_ROOT_CONNECTION');

/**
 * BullModule.forRoot for an app's queues, on the connection of `role` in the configured
 * topology; on a Cluster it also closes the client the queues share when the app stops.
 */
@Module({})
export class QueueRootModule implements OnApplicationShutdown {
  constructor(@Inject(QUEUE_ROOT_CONNECTION) private readonly connection: unknown) {}

  static forRoot(config: AppConfig, role: RedisRole): DynamicModule {
    const connection = bullConnection(config, role);
    return {
      module: QueueRootModule,
      imports: [BullModule.forRoot({ connection, prefix: bullPrefix(config.REDIS_KEY_PREFIX) })],
      providers: [{ provide: QUEUE_ROOT_CONNECTION, useValue: connection }],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await releaseBullConnection(this.connection);
  }
}
