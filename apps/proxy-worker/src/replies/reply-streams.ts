import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  InjectRedis,
  isLastReply,
  type ProxyReply,
  type RedisClient,
  RedisScript,
  releaseSlots,
  REPLY_HASH_LAST,
  REPLY_LINGER_MARGIN_MS,
  REPLY_STREAM_MAXLEN,
  REPLY_STREAM_TTL_SECONDS,
  replyEntryId,
  replyHashKey,
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

/**
 * The same for a gateway that reads a hash (repliesHashed): reply n under field n, the last
 * number under `last`, the entry MAXLEN below each new one removed. An entry at or below `last`
 * is not written again (a retried send whose first try landed, or a retaken job's earlier run):
 * the others are, all are published, and the send is refused after.
 * KEYS: the hash. ARGV: expiry in ms, channel, max entries, then per reply: entry number, reply
 * text, notice prefix.
 */
const SEND_REPLIES_HASHED = new RedisScript(`
local last = tonumber(redis.call('HGET', KEYS[1], '${REPLY_HASH_LAST}')) or 0
local top = last
for i = 4, #ARGV, 3 do
  local entry = tonumber(ARGV[i])
  if entry > top then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    if entry > tonumber(ARGV[3]) then redis.call('HDEL', KEYS[1], entry - tonumber(ARGV[3])) end
    top = entry
  end
end
if top > last then redis.call('HSET', KEYS[1], '${REPLY_HASH_LAST}', top) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
for i = 4, #ARGV, 3 do
  redis.call('PUBLISH', ARGV[2], ARGV[i + 2] .. ARGV[i + 1])
end
if last >= tonumber(ARGV[4]) then
  return redis.error_reply('ERR reply entries already written')
end
return 1
`);

/** A send refused because its entries (some or all) were there already. */
const ALREADY_WRITTEN = /equal or smaller than the target stream top item|entries already written/;

/** The shortest a request's replies are kept after the last one, whatever its deadline. */
const MIN_LINGER_MS = 5_000;

/** Where a request's replies go, beyond its id and gateway. */
export type ReplyOptions = {
  /** Entries a previous run of this request wrote (see `sentCount`). */
  alreadySent?: number;
  /** The concurrency-slot sets holding the request (the job's `slots`), freed with the last reply. */
  slotSets?: readonly string[];
  /** The job's deadline (epoch ms): replies in a hash are kept no longer after it. */
  deadline?: number;
};

/**
 * Writes a sync request's replies where its gateway reads them when a message was missed (a hash,
 * or for an older gateway a stream; entry n is reply n) and publishes each one to the waiting
 * gateway instance, in one round trip per send (a reply, or replies ready together), so chunks
 * leave as they arrive. The gateway normally takes the published copy.
 */
@Injectable()
export class ReplyStreams {
  private readonly logger = new Logger(ReplyStreams.name);
  private readonly prefix: string;
  private readonly isSlotSet: (key: string) => boolean;
  /** Until a job whose worker died after its last reply is surely taken over (see keepForMs). */
  private readonly untilTakenOverMs: number;

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
    this.isSlotSet = slotSetKeyTest(this.prefix);
    // BullMQ's stalled check finds a dead worker's job within two lock periods.
    this.untilTakenOverMs = 2 * config.PROXY_JOB_LOCK_MS + REPLY_LINGER_MARGIN_MS;
  }

  /** `to`: the job's `reply`. */
  forRequest(
    requestId: string,
    to: SyncReplyTo,
    { alreadySent = 0, slotSets = [], deadline }: ReplyOptions = {},
  ): ReplySink {
    const { hashed, key } = this.storeOf(requestId, to);
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
      const ending = replies.some(isLastReply);
      const args: (string | number)[] = hashed
        ? [this.keepForMs(ending, deadline), channel, REPLY_STREAM_MAXLEN]
        : [REPLY_STREAM_TTL_SECONDS, channel, REPLY_STREAM_MAXLEN];
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
        args.push(
          hashed ? entry : replyEntryId(entry),
          replyText(reply, rawChunks),
          `${requestId} ${entry} `,
        );
      });
      // One command per send, each reply's text on the wire once: the script stores them and
      // publishes them. On the command connection, whose writes are coalesced per turn, so the
      // replies of every request sent in one turn (chunks of concurrent streams) leave in one
      // socket write.
      try {
        await (hashed ? SEND_REPLIES_HASHED : SEND_REPLIES).run(this.redis, [key], args);
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
  async sentCount(requestId: string, to: SyncReplyTo): Promise<number> {
    const { hashed, key } = this.storeOf(requestId, to);
    if (!hashed) return this.redis.xlen(key);
    const last = await this.redis.hget(key, REPLY_HASH_LAST);
    return last === null ? 0 : Number(last);
  }

  /** Where a request's replies are kept: the hash its gateway reads, or an older one's stream. */
  private storeOf(requestId: string, to: SyncReplyTo): { hashed: boolean; key: string } {
    const hashed = to.repliesHashed === true;
    const key = hashed
      ? replyHashKey(this.prefix, requestId)
      : replyStreamKey(this.prefix, requestId);
    return { hashed, key };
  }

  /**
   * How long the replies stay after this send: the full TTL while more may follow. After the
   * last, a gateway that missed the notice reads it within a second or two, and a job whose
   * worker died before completing it must still find it when taken over (or the call is made
   * again); past the deadline nobody reads it. Kept no longer than that, so that Redis does not
   * hold every answer of the last five minutes at a high rate of short requests.
   */
  private keepForMs(ending: boolean, deadline: number | undefined): number {
    const ttlMs = REPLY_STREAM_TTL_SECONDS * 1000;
    if (!ending) return ttlMs;
    const untilDeadline =
      deadline === undefined ? ttlMs : deadline + REPLY_LINGER_MARGIN_MS - Date.now();
    const linger = Math.min(ttlMs, this.untilTakenOverMs, untilDeadline);
    return Math.max(MIN_LINGER_MS, Math.round(linger));
  }
}
