import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  InjectRedis,
  type ProxyReply,
  REPLY_STREAM_MAXLEN,
  REPLY_STREAM_TTL_SECONDS,
  replyNotifyChannel,
  replyStreamKey,
} from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { ReplySink } from './reply-sink.js';

/**
 * Writes a sync request's replies to its Redis Stream (ordered, bounded, expiring) and pokes the
 * waiting gateway instance, all in one round trip per reply so chunks leave as they arrive.
 */
@Injectable()
export class ReplyStreams {
  private readonly prefix: string;

  constructor(
    @InjectRedis() private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  forRequest(requestId: string, gatewayId: string): ReplySink {
    const key = replyStreamKey(this.prefix, requestId);
    const channel = replyNotifyChannel(this.prefix, gatewayId);
    let first = true;
    return {
      send: async (reply: ProxyReply) => {
        const pipeline = this.redis
          .pipeline()
          .xadd(key, 'MAXLEN', '~', REPLY_STREAM_MAXLEN, '*', 'r', JSON.stringify(reply));
        if (first) pipeline.expire(key, REPLY_STREAM_TTL_SECONDS);
        first = false;
        pipeline.publish(channel, requestId);
        const results = await pipeline.exec();
        const failed = results?.find(([err]) => err);
        if (failed?.[0]) throw failed[0];
      },
    };
  }

  /** True when a previous run of this request already sent something to the client. */
  async hasOutput(requestId: string): Promise<boolean> {
    return (await this.redis.xlen(replyStreamKey(this.prefix, requestId))) > 0;
  }
}
