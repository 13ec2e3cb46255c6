import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  InjectRedis,
  TOKEN_USAGE_TTL_SECONDS,
  type TokenUsage,
  tokenUsageKey,
} from '@gatehouse/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';

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

  /** On the auto-pipelined connection: it shares a socket write with the reply it goes with. */
  async record(keyId: string, usage: TokenUsage | undefined): Promise<void> {
    const total = usage ? usage.input + usage.output : 0;
    if (total <= 0) return;
    const key = tokenUsageKey(this.prefix, keyId);
    try {
      await Promise.all([
        this.redis.incrby(key, total),
        this.redis.expire(key, TOKEN_USAGE_TTL_SECONDS),
      ]);
    } catch (err) {
      this.logger.warn(`could not record token usage: ${(err as Error).message}`);
    }
  }
}
