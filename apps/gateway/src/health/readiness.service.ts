import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InjectRedis, type RedisClient } from '@gatehouse/queue';
import { bounded } from '../system/bounded.js';

const CHECK_TIMEOUT_MS = 1_000;

/** One answer serves every probe for this long: /ready needs no key, so it must be cheap. */
const ANSWER_FOR_MS = 1_000;

export type Readiness = {
  ready: boolean;
  checks: { postgres: 'up' | 'down'; redis: 'up' | 'down' };
  /** When the dependencies were last asked (answers are shared for a second). */
  checked_at: string;
};

/**
 * Whether the gateway's dependencies answer; each check is bounded so probes stay fast. At most
 * one check a second reaches Postgres and Redis, however many probes arrive (a keyless client
 * must not be able to load the database through /ready); concurrent probes share one check.
 */
@Injectable()
export class ReadinessService {
  private last: { at: number; answer: Promise<Readiness> } | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @InjectRedis() private readonly redis: RedisClient,
  ) {}

  check(): Promise<Readiness> {
    const now = Date.now();
    if (this.last && now - this.last.at < ANSWER_FOR_MS) return this.last.answer;
    const answer = this.checkNow(new Date(now));
    this.last = { at: now, answer };
    return answer;
  }

  private async checkNow(at: Date): Promise<Readiness> {
    const [postgres, redis] = await Promise.all([
      probe(() => this.dataSource.query('SELECT 1')),
      probe(() => this.redis.ping()),
    ]);
    return {
      ready: postgres === 'up' && redis === 'up',
      checks: { postgres, redis },
      checked_at: at.toISOString(),
    };
  }
}

async function probe(run: () => Promise<unknown>): Promise<'up' | 'down'> {
  try {
    await bounded(run, CHECK_TIMEOUT_MS);
    return 'up';
  } catch {
    return 'down';
  }
}
