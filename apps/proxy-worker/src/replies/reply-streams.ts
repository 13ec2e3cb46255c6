import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  InjectRedis,
  isLastReply,
  type ProxyReply,
  type RedisClient,
  RedisScript,
  releaseSlots,
  REPLY_STREAM_MAXLEN,
  REPLY_STREAM_TTL_SECONDS,
  replyEntryId,
  replyNotifyChannel,
  replyStreamKey,
  replyText,
  slotSetKeyTest,
  type SyncReplyTo,
} from '@gatehouse/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ReplySink } from './reply-sink.js';

/**
 * Appends replies to their request's stream and publishes each to the waiting gateway (a notice:
 * `<requestId> <seq> <replyText>`, as encodeReplyNotice writes it), in order. The TTL is set on
 * every write, not the first only: a stream that expired mid-request (a long one, or a retaken
 * job) would otherwise be recreated with no TTL and never leave Redis. The replies are published
 * even when an append fails (an entry a previous run of a retaken job already wrote); the first
 * error is returned after.
 * KEYS: the stream. ARGV: TTL seconds, channel, max length, then per reply: entry id, reply
 * text, notice prefix.
 */
const SEND_REPLIES = new RedisScript(`
local failure
for i = 4, #ARGV, 3 do
  local appended = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], ARGV[i], 'r', ARGV[i + 1])
  if not failure and type(appended) == 'table' and appended.err then failure = appended.err end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
for i = 4, #ARGV, 3 do
  redis.call('PUBLISH', ARGV[2], ARGV[i + 2] .. ARGV[i + 1])
end
if failure then return redis.error_reply(failure) end
return 1
`);

/** XADD's refusal of an entry id at or below the stream's last: that entry is already there. */
const ALREADY_WRITTEN = /equal or smaller than the target stream top item/;

/**
 * Writes a sync request's replies to its Redis Stream (ordered, expiring; entry n is `0-n`) and
 * publishes each one to the waiting gateway instance, in one round trip per send (a reply, or
 * replies ready together), so chunks leave as they arrive. The gateway normally takes the
 * published copy; the stream is what it reads when a message was missed.
 */
@Injectable()
export class ReplyStreams {
  private readonly logger = new Logger(ReplyStreams.name);
  private readonly prefix: string;
  private readonly isSlotSet: (key: string) => boolean;

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
    this.isSlotSet = slotSetKeyTest(this.prefix);
  }

  /**
   * `to`: the job's `reply`. `alreadySent`: entries a previous run of this request wrote (see
   * `sentCount`). `slotSets`: the concurrency-slot sets holding the request (the job's `slots`),
   * freed with the last reply.
   */
  forRequest(
    requestId: string,
    to: SyncReplyTo,
    alreadySent = 0,
    slotSets: readonly string[] = [],
  ): ReplySink {
    const key = replyStreamKey(this.prefix, requestId);
    const channel = replyNotifyChannel(this.prefix, to.gatewayId);
    const rawChunks = to.rawChunks === true;
    // Only slot sets: the job's data came through Redis.
    const sets = Array.isArray(slotSets)
      ? slotSets.filter((set) => typeof set === 'string' && this.isSlotSet(set))
      : [];
    let seq = alreadySent;
    let failed: number | undefined; // the first entry of the send that last failed
    const sendAll = async (replies: readonly ProxyReply[]) => {
      // Counted once written: a send retried after an outage reuses its entry ids, and finds
      // them written when the first try landed but its answer was lost (the script writes a
      // send's entries together or none).
      const first = seq + 1;
      const args: (string | number)[] = [REPLY_STREAM_TTL_SECONDS, channel, REPLY_STREAM_MAXLEN];
      replies.forEach((given, i) => {
        let reply = given;
        if (sets.length > 0 && isLastReply(given)) {
          // In the tick the reply is sent, on the same connection (writes coalesced per turn):
          // one socket write carries both, and Redis frees the slots before it publishes the reply.
          releaseSlots(this.redis, sets, requestId).catch((err: Error) =>
            this.logger.warn(`could not free request slots: ${err.message}`),
          );
          reply = { ...given, slotsFreed: true };
        }
        const entry = first + i;
        args.push(replyEntryId(entry), replyText(reply, rawChunks), `${requestId} ${entry} `);
      });
      // One command per send, each reply's text on the wire once: the script appends them to
      // the stream and publishes them. On the command connection, whose writes are coalesced per
      // turn, so the replies of every request sent in one turn (chunks of concurrent streams)
      // leave in one socket write.
      try {
        await SEND_REPLIES.run(this.redis, [key], args);
      } catch (err) {
        // The entries exist: written by the earlier try of this very send.
        const landed = failed === first && ALREADY_WRITTEN.test((err as Error).message);
        if (!landed) {
          failed = first;
          throw err;
        }
      }
      seq = first + replies.length - 1;
    };
    return { send: (reply) => sendAll([reply]), sendAll };
  }

  /** How many replies a previous run of this request already sent to the client. */
  async sentCount(requestId: string): Promise<number> {
    return this.redis.xlen(replyStreamKey(this.prefix, requestId));
  }
}
