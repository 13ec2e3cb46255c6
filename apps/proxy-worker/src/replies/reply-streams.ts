import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  InjectRedis,
  type ProxyReply,
  REPLY_STREAM_MAXLEN,
  REPLY_STREAM_TTL_SECONDS,
  encodeReplyNoticeJson,
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
 * leave as they arrive. The gateway normally
 * takes the published copy; the stream is what it reads when a message was missed.
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
        const json = JSON.stringify(reply); // once for both copies
        // Separate commands on the auto-pipelined connection, not a pipeline of our own: the
        // replies of every request sent in one tick (chunks of concurrent streams) then leave
        // in one socket write, where a pipeline per reply costs a write each.
        const writes: Promise<unknown>[] = [
          this.redis.xadd(key, 'MAXLEN', '~', REPLY_STREAM_MAXLEN, replyEntryId(seq), 'r', json),
        ];
        // On every write, not the first only: a stream that expired mid-request (a long one, or
        // a retaken job) would otherwise be recreated with no TTL and never leave Redis.
        writes.push(this.redis.expire(key, REPLY_STREAM_TTL_SECONDS));
        writes.push(this.redis.publish(channel, encodeReplyNoticeJson(requestId, seq, json)));
        await Promise.all(writes);
      },
    };
  }

  /** How many replies a previous run of this request already sent to the client. */
  async sentCount(requestId: string): Promise<number> {
    return this.redis.xlen(replyStreamKey(this.prefix, requestId));
  }
}
