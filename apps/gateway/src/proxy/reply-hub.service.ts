import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  createRedisClient,
  InjectRedis,
  isLastReply,
  type ProxyReply,
  type RedisClient,
  RedisRole,
  decodeReplyNotice,
  parseReplyText,
  REPLY_HASH_LAST,
  replyEntryId,
  replyHashKey,
  replyNotifyChannel,
  replyStreamKey,
  RedisScript,
} from '@gatehouse/queue';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';

/** A waiter that heard nothing for this long reads its replies, in case a message was lost. */
const QUIET_MS = 1_000;
const POLL_MS = 500;
/** The most replies one read takes. */
const READ_COUNT = 1_000;

/**
 * The replies after entry ARGV[1], at most ARGV[2] of them, from a request's reply hash (KEYS[1]):
 * `[last, number, text, number, text, ...]`, `last` the number of the last reply written and the
 * pairs those there (one trimmed away is absent). With no hash: 1 when there is a stream
 * (KEYS[2], from a worker of the version before), else false (nothing written yet).
 */
const READ_REPLY_HASH = new RedisScript(`
local last = redis.call('HGET', KEYS[1], '${REPLY_HASH_LAST}')
if not last then return redis.call('EXISTS', KEYS[2]) == 1 and 1 or false end
local from = tonumber(ARGV[1])
local to = math.min(tonumber(last), from + tonumber(ARGV[2]))
local found = { tonumber(last) }
if to <= from then return found end
local entries = {}
for entry = from + 1, to do entries[#entries + 1] = entry end
local texts = redis.call('HMGET', KEYS[1], unpack(entries))
for i = 1, #entries do
  if texts[i] then
    found[#found + 1] = entries[i]
    found[#found + 1] = texts[i]
  end
end
return found
`);

export class ReplyTimeoutError extends Error {}
export class ReplyReadError extends Error {}
/** Replies the waiter had not read were trimmed away: the request cannot be relayed whole. */
class RepliesTrimmed extends Error {
  constructor() {
    super('replies were trimmed before they were read');
  }
}
/** The request's channel was closed (its client went away) while a reply was awaited. */
export class ReplyClosedError extends Error {}

/** What a next() or a listener is told once the request's channel has closed. */
const channelClosed = () => new ReplyClosedError('reply channel closed');

/** Takes a request's replies as they arrive (see ReplyChannel.listen). */
export type ReplyListener = {
  reply(reply: ProxyReply): void;
  /**
   * No more replies: the deadline passed, the stream could not be read, or the channel closed
   * before the last reply (a result, an error or a stream's end) was handed over.
   */
  fail(err: Error): void;
};

/** Replies of one request, in order, each delivered once, until the request's deadline. */
export type ReplyChannel = {
  next(): Promise<ProxyReply>;
  /**
   * Hands every reply not yet taken to `listener`, synchronously as each arrives, from now on
   * (what is buffered at once): a stream's chunks, without a promise and a turn each.
   */
  listen(listener: ReplyListener): void;
  close(): void;
};

/** One request's replies as they arrive, in sequence order (exported for its spec). */
export class Waiter {
  /** Sequence number of the last reply delivered (entry `0-seq`). */
  seq = 0;
  heardAt = Date.now();
  reading = false;
  again = false;
  private readonly buffered: ProxyReply[] = [];
  private pending: { resolve: (r: ProxyReply) => void; reject: (e: Error) => void } | undefined;
  private listener: ReplyListener | undefined;
  private failure: Error | undefined;
  private closed = false;
  private deadlineTimer: NodeJS.Timeout | undefined;

  /** `deadline` (epoch ms): past it, whatever has not arrived is a ReplyTimeoutError. */
  constructor(private readonly deadline: number) {}

  /** Delivers reply `seq` if it is the next one; anything else is a duplicate or early. */
  deliver(seq: number, reply: ProxyReply): boolean {
    this.heardAt = Date.now();
    if (seq !== this.seq + 1) return false;
    this.seq = seq;
    this.push(reply);
    return true;
  }

  private push(reply: ProxyReply): void {
    const listener = this.listener;
    if (listener) {
      if (isLastReply(reply)) this.stopListening();
      listener.reply(reply);
    } else if (this.pending) {
      const { resolve } = this.pending;
      this.pending = undefined;
      resolve(reply);
    } else {
      this.buffered.push(reply);
    }
  }

  fail(err: Error): void {
    clearTimeout(this.deadlineTimer);
    this.failure = err;
    this.pending?.reject(err);
    this.pending = undefined;
    const listener = this.listener;
    this.listener = undefined;
    listener?.fail(err);
  }

  /**
   * Nothing more will be delivered. The error for a next() is built only when one waits or
   * comes: an Error's stack trace is not free, and most channels close with nobody waiting.
   */
  close(): void {
    this.closed = true;
    clearTimeout(this.deadlineTimer);
    if (this.pending || this.listener) this.fail(channelClosed());
  }

  next(): Promise<ProxyReply> {
    const ready = this.buffered.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(channelClosed());
    this.armDeadline();
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  listen(listener: ReplyListener): void {
    if (this.pending) throw new Error('a reply is awaited: listen after it came');
    for (let ready = this.buffered.shift(); ready; ready = this.buffered.shift()) {
      listener.reply(ready);
      if (isLastReply(ready)) return;
    }
    if (this.failure) return listener.fail(this.failure);
    if (this.closed) return listener.fail(channelClosed());
    this.listener = listener;
    this.armDeadline();
  }

  /**
   * The last reply was handed over: the listener hears nothing more, not even the channel's
   * close (whose error, stack trace and all, was built for every stream that ended well).
   */
  private stopListening(): void {
    this.listener = undefined;
    clearTimeout(this.deadlineTimer);
  }

  /** One timer for the request, armed at its first wait, not one per reply awaited. */
  private armDeadline(): void {
    this.deadlineTimer ??= setTimeout(
      () => this.fail(new ReplyTimeoutError('no reply before the deadline')),
      Math.max(0, this.deadline - Date.now()),
    );
  }
}

/**
 * Receives workers' replies for the requests this gateway instance is waiting on. One pub/sub
 * connection brings every reply as it is written; each carries its sequence number, so order
 * holds and nothing is delivered twice. A gap (a lost message) or a quiet second sends the
 * waiter to the request's Redis Stream, which holds every reply as entry `0-n`.
 */
@Injectable()
export class ReplyHub implements OnModuleInit, OnApplicationShutdown {
  readonly gatewayId = randomUUID();
  private readonly logger = new Logger(ReplyHub.name);
  private readonly waiters = new Map<string, Waiter>();
  private readonly prefix: string;
  private subscriber: RedisClient | undefined;
  private poller: NodeJS.Timeout | undefined;

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  async onModuleInit(): Promise<void> {
    const subscriber = createRedisClient(this.config, RedisRole.subscriber);
    subscriber.on('error', () => undefined); // the command connection reports outages
    subscriber.on('message', (_channel: string, message: string) => this.onNotice(message));
    this.subscriber = subscriber;
    // Connecting first: a command on a lazy client connects it itself, and connect() after it
    // fails ("already connecting"), which read as Redis being away on every start. Subscribing
    // is queued until connected; ioredis re-subscribes after every reconnect.
    const connected = subscriber.connect();
    void subscriber
      .subscribe(replyNotifyChannel(this.prefix, this.gatewayId))
      .catch(() => undefined);
    await connected.catch(() => this.logger.warn('reply channel waits for Redis'));
    this.poller = setInterval(() => {
      const quietSince = Date.now() - QUIET_MS;
      for (const [id, waiter] of this.waiters) if (waiter.heardAt < quietSince) void this.pull(id);
    }, POLL_MS);
    this.poller.unref();
  }

  /** The replies to `requestId`, awaited until `deadline` (epoch ms). */
  open(requestId: string, deadline: number): ReplyChannel {
    const waiter = new Waiter(deadline);
    this.waiters.set(requestId, waiter);
    return {
      next: () => waiter.next(),
      listen: (listener) => waiter.listen(listener),
      close: () => {
        this.waiters.delete(requestId);
        // Wake a pending next(): nothing would resolve it before the deadline otherwise.
        waiter.close();
      },
    };
  }

  onApplicationShutdown(): void {
    clearInterval(this.poller);
    this.subscriber?.disconnect();
  }

  private onNotice(message: string): void {
    const notice = decodeReplyNotice(message);
    if (!notice) return;
    const waiter = this.waiters.get(notice.requestId);
    if (!waiter) return;
    // Out of order means an earlier message was lost: the stream has them all.
    if (!waiter.deliver(notice.seq, notice.reply) && notice.seq > waiter.seq + 1) {
      void this.pull(notice.requestId);
    }
  }

  private async pull(requestId: string): Promise<void> {
    const waiter = this.waiters.get(requestId);
    if (!waiter) return;
    if (waiter.reading) {
      waiter.again = true;
      return;
    }
    waiter.reading = true;
    try {
      do {
        waiter.again = false;
        for (const [seq, text] of await this.readAfter(requestId, waiter.seq)) {
          // Replies are bounded: a gap means some were trimmed before we read them.
          if (seq > waiter.seq + 1) throw new RepliesTrimmed();
          waiter.deliver(seq, parseReplyText(text));
        }
      } while (waiter.again && this.waiters.has(requestId));
    } catch (err) {
      waiter.fail(new ReplyReadError((err as Error).message));
    } finally {
      waiter.reading = false;
      waiter.heardAt = Date.now(); // a quiet waiter reads again after another QUIET_MS
    }
  }

  /**
   * The replies written after entry `seq`, in order: from the request's hash, or, when it has
   * none, from the stream a worker of the version before writes.
   */
  private async readAfter(requestId: string, seq: number): Promise<[number, string][]> {
    const stream = replyStreamKey(this.prefix, requestId);
    const hashed = (await READ_REPLY_HASH.run(
      this.redis,
      [replyHashKey(this.prefix, requestId), stream],
      [seq, READ_COUNT],
    )) as (number | string)[] | 1 | null;
    const replies: [number, string][] = [];
    if (hashed === null) return replies;
    if (hashed !== 1) {
      for (let i = 1; i + 1 < hashed.length; i += 2) {
        replies.push([Number(hashed[i]), String(hashed[i + 1])]);
      }
      // Written past `seq` but none of it left to read: trimmed, as a gap would say.
      if (replies.length === 0 && Number(hashed[0]) > seq) throw new RepliesTrimmed();
      return replies;
    }
    const result = await this.redis.xread(
      'COUNT',
      READ_COUNT,
      'STREAMS',
      stream,
      replyEntryId(seq),
    );
    for (const [, entries] of result ?? []) {
      for (const [id, fields] of entries) replies.push([Number(id.slice(2)), fields[1] ?? '']);
    }
    return replies;
  }
}
