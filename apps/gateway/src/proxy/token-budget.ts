import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectRedis, tokenUsageKey } from '@gatehouse/queue';
import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { Response } from 'express';
import type { Redis } from 'ioredis';
import type { ClientKey } from '../auth/principal.js';

/** Enforces a key's tokens/day from the daily total the workers keep in Redis. */
@Injectable()
export class TokenBudget {
  constructor(
    @InjectRedis() private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async assertWithin(key: ClientKey, res: Response): Promise<void> {
    if (!key.tokensPerDay) return;
    let used: number;
    try {
      used = Number(
        (await this.redis.get(tokenUsageKey(this.config.REDIS_KEY_PREFIX, key.id))) ?? 0,
      );
    } catch {
      throw new ServiceUnavailableException('Usage accounting is unavailable; try again shortly');
    }
    if (used < key.tokensPerDay) return;
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil((midnight - now.getTime()) / 1000))));
    throw new HttpException(
      `This key used its ${key.tokensPerDay} tokens for today (UTC)`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
