import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  InjectRedis,
  TOKEN_USAGE_TTL_SECONDS,
  type TokenUsage,
  tokenUsageKey,
} from '@gatehouse/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ChainableCommander, Redis } from 'ioredis';

/** Adds a request's tokens to its key's daily total, which the gateway checks against tokens/day. */
@Injectable()
export class UsageRecorder {
  private readonly logger = new Logger(UsageRecorder.name);
  private readonly prefix: string;

  constructor(
    @InjectRedis() private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  async record(keyId: string, usage: TokenUsage | undefined): Promise<void> {
    try {
      const pipeline = this.redis.multi();
      if (this.appendTo(pipeline, keyId, usage)) await pipeline.exec();
    } catch (err) {
      this.logger.warn(`could not record token usage: ${(err as Error).message}`);
    }
  }

  /** Queues the usage write on a pipeline the caller sends anyway; false when there is none. */
  appendTo(pipeline: ChainableCommander, keyId: string, usage: TokenUsage | undefined): boolean {
    const total = usage ? usage.input + usage.output : 0;
    if (total <= 0) return false;
    const key = tokenUsageKey(this.prefix, keyId);
    pipeline.incrby(key, total).expire(key, TOKEN_USAGE_TTL_SECONDS);
    return true;
  }
}
