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
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { UsageRecorder } from '../proxy/usage-recorder.js';
import type { ReplySink } from './reply-sink.js';

/**
 * Writes a sync request's replies to its Redis Stream (ordered, expiring; entry n is `0-n`) and
 * publishes each one to the waiting gateway instance, in one round trip per reply (the final one
 * also carries the token usage write), so chunks leave as they arrive. The gateway normally takes the published copy; the stream is what it
 * reads when a message was missed.
 */
@Injectable()
export class ReplyStreams {
  private readonly logger = new Logger(ReplyStreams.name);
  private readonly prefix: string;

  constructor(
    @InjectRedis() private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly usage: UsageRecorder,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  /**
   * `alreadySent`: entries a previous run of this request wrote (see `sentCount`). With `keyId`,
   * a reply carrying usage also adds it to that key's daily token total, in the same pipeline.
   */
  forRequest(requestId: string, gatewayId: string, alreadySent = 0, keyId?: string): ReplySink {
    const key = replyStreamKey(this.prefix, requestId);
    const channel = replyNotifyChannel(this.prefix, gatewayId);
    let seq = alreadySent;
    return {
      recordsUsage: keyId !== undefined,
      send: async (reply: ProxyReply) => {
        seq++;
        const json = JSON.stringify(reply); // once for both copies
        const pipeline = this.redis
          .pipeline()
          .xadd(key, 'MAXLEN', '~', REPLY_STREAM_MAXLEN, replyEntryId(seq), 'r', json);
        if (seq === 1) pipeline.expire(key, REPLY_STREAM_TTL_SECONDS);
        pipeline.publish(channel, encodeReplyNoticeJson(requestId, seq, json));
        const counted =
          keyId !== undefined &&
          (reply.type === 'result' || reply.type === 'end') &&
          this.usage.appendTo(pipeline, keyId, reply.usage);
        const results = (await pipeline.exec()) ?? [];
        const replyWrites = counted ? results.length - 2 : results.length;
        for (let i = 0; i < results.length; i++) {
          const err = results[i]?.[0];
          if (!err) continue;
          if (i < replyWrites) throw err;
          this.logger.warn(`could not record token usage: ${err.message}`);
        }
      },
    };
  }

  /** How many replies a previous run of this request already sent to the client. */
  async sentCount(requestId: string): Promise<number> {
    return this.redis.xlen(replyStreamKey(this.prefix, requestId));
  }
}
