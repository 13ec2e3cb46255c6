import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  InjectRedis,
  type ProxyReply,
  REPLY_STREAM_MAXLEN,
  REPLY_STREAM_TTL_SECONDS,
  encodeReplyNotice,
  replyEntryId,
  replyNotifyChannel,
  replyStreamKey,
} from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { ReplySink } from './reply-sink.js';

/**
 * Writes a sync request's replies to its Redis Stream (ordered, expiring; entry n is `0-n`) and
 * publishes each one to the waiting gateway instance, in one round trip per reply, so chunks
 * leave as they arrive. The gateway normally takes the published copy; the stream is what it
 * reads when a message was missed.
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

  /** `alreadySent`: entries a previous run of this request wrote (see `sentCount`). */
  forRequest(requestId: string, gatewayId: string, alreadySent = 0): ReplySink {
    const key = replyStreamKey(this.prefix, requestId);
    const channel = replyNotifyChannel(this.prefix, gatewayId);
    let seq = alreadySent;
    return {
      send: async (reply: ProxyReply) => {
        seq++;
        const pipeline = this.redis
          .pipeline()
          .xadd(
            key,
            'MAXLEN',
            '~',
            REPLY_STREAM_MAXLEN,
            replyEntryId(seq),
            'r',
            JSON.stringify(reply),
          );
        if (seq === 1) pipeline.expire(key, REPLY_STREAM_TTL_SECONDS);
        pipeline.publish(channel, encodeReplyNotice(requestId, seq, reply));
        const results = await pipeline.exec();
        const failed = results?.find(([err]) => err);
        if (failed?.[0]) throw failed[0];
      },
    };
  }

  /** How many replies a previous run of this request already sent to the client. */
  async sentCount(requestId: string): Promise<number> {
    return this.redis.xlen(replyStreamKey(this.prefix, requestId));
  }
}
