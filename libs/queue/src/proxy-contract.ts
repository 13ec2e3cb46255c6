/**
 * The contract between the gateway and proxy-worker. Job data carries ids and the client's
 * validated body, never a gateway key or an upstream secret. Bump the version on any
 * incompatible change: jobs waiting in Redis outlive deploys.
 */
export const PROXY_JOB_NAME = 'proxy.request';
export const PROXY_JOB_VERSION = 1;

/** Client-facing endpoints; each maps to one upstream wire format. */
export type ProxyEndpoint = 'chat.completions' | 'messages';

export type ProxyJobData = {
  v: typeof PROXY_JOB_VERSION;
  requestId: string;
  keyId: string;
  endpoint: ProxyEndpoint;
  model: string;
  stream: boolean;
  /** The client's JSON body, already validated by the gateway. */
  body: Record<string, unknown>;
  /** Allowlisted client headers the provider needs (e.g. anthropic-version), never credentials. */
  headers: Record<string, string>;
  /** Sync requests: the gateway instance waiting for replies. Async jobs: the job row's id. */
  reply: SyncReplyTo | { kind: 'async'; jobId: string };
  /** Epoch ms after which nobody is waiting any more. */
  deadline: number;
  /** Client metadata for audit records (requestId: the gateway's X-Request-Id). */
  client: { requestId: string; ip: string; method: string; path: string };
  /** The key's budget reservation, when it has budgets: the worker settles it. */
  budget?: BudgetHold;
  /** The model's price (USD per 1M tokens) when the price table has one: what usage costs. */
  price?: { input: number; output: number };
  /**
   * Sync requests: the concurrency-slot sets holding this request. The worker removes it from
   * them as it sends the last reply, in the same socket write, and says so (`slotsFreed`), so
   * the gateway need not make a round trip of its own. Absent from older gateways' jobs.
   */
  slots?: string[];
};

/** Where a sync request's replies go. */
export type SyncReplyTo = {
  kind: 'sync';
  gatewayId: string;
  /**
   * The gateway reads a chunk written raw (see replyText). Absent from older gateways' jobs:
   * their workers write every reply as JSON.
   */
  rawChunks?: true;
  /**
   * The gateway reads missed replies from the request's hash (replyHashKey), which the worker
   * then writes instead of a stream. Absent from older gateways' jobs: their workers write the
   * stream (replyStreamKey), which a gateway still reads when it finds no hash.
   */
  repliesHashed?: true;
};

/**
 * What admission reserved against a key's budgets for one request. The worker settles it to the
 * provider's usage, or releases it when the call failed; a reservation nobody settles lapses.
 */
export type BudgetHold = {
  /** The reservation's entry in the leases set (which counters hold how much; see libs/budgets). */
  lease: string;
  /** Prompt tokens estimated at admission: what a call cancelled before usage was known cost. */
  promptTokens: number;
};

export type TokenUsage = { input: number; output: number };

/**
 * The upstream's own time, in ms, before the worker could send this reply: for a result, from
 * the answering attempt's request to its whole body; for a stream's head, to its response
 * headers. The gateway subtracts it from its own time to first byte (its overhead metric). A
 * duration, not a timestamp, so the clocks of the two hosts need not agree. Optional: workers
 * of the previous version do not send it, and the gateway then records no overhead.
 */
export type UpstreamMs = number;

/** On a sync request's last reply: the worker freed the request's slots with it (see `slots`). */
type LastReply = { slotsFreed?: true };

/**
 * What the worker writes to a sync request's reply stream, in order:
 * JSON:   result | error
 * stream: head, chunk*, end   | error (before head, or after head if the upstream broke)
 */
export type ProxyReply =
  | ({
      type: 'result';
      status: number;
      contentType: string;
      body: string;
      usage?: TokenUsage;
      upstreamMs?: UpstreamMs;
    } & LastReply)
  | { type: 'head'; status: number; contentType: string; upstreamMs?: UpstreamMs }
  | { type: 'chunk'; data: string }
  | ({ type: 'end'; usage?: TokenUsage } & LastReply)
  | ({
      type: 'error';
      status: number;
      errorType: string;
      message: string;
      /** Seconds, for 429 when every account is cooling down. */
      retryAfter?: number;
    } & LastReply);

/** Whether `reply` ends its request's replies (nothing follows it on the stream). */
export function isLastReply(
  reply: ProxyReply,
): reply is Extract<ProxyReply, { type: 'result' | 'error' | 'end' }> {
  return reply.type === 'result' || reply.type === 'error' || reply.type === 'end';
}

/**
 * Per-request reply stream (ordered, bounded, expiring), as workers wrote replies for gateways
 * before repliesHashed. Hash tag: one Cluster slot.
 */
export function replyStreamKey(prefix: string, requestId: string): string {
  return `${prefix}:reply:{${requestId}}`;
}

/**
 * Per-request reply hash: reply n under field `n`, the last one's number under `last`, bounded
 * and expiring. A hash, not a stream: Redis creates a stream with its first node preallocated
 * (4 KiB at the default `stream-node-max-bytes`), 15–20 µs and 4.4 KB for a request's one JSON
 * reply, where a hash costs about what its fields do. Same hash tag as the stream: one slot.
 */
export function replyHashKey(prefix: string, requestId: string): string {
  return `${prefix}:replies:{${requestId}}`;
}

/** The hash field holding the number of the last reply written. */
export const REPLY_HASH_LAST = 'last';

/**
 * Reply n of a request is stream entry `0-n` (n = 1, 2, ...): the gateway knows every entry's id
 * without reading it, so a reply delivered over pub/sub and one read from the stream are the
 * same entry, never delivered twice.
 */
export function replyEntryId(seq: number): string {
  return `0-${seq}`;
}

/** What starts a chunk written raw; a reply written as JSON starts with `{`. */
const RAW_CHUNK = 'c';

/**
 * A reply as the worker writes it, to the reply stream and in its notice alike: JSON, or, for a
 * chunk to a gateway that reads them raw, `c` and the chunk's text. A stream is mostly chunks:
 * raw, each crosses without being escaped and parsed again.
 */
export function replyText(reply: ProxyReply, rawChunks: boolean): string {
  return rawChunks && reply.type === 'chunk' ? RAW_CHUNK + reply.data : JSON.stringify(reply);
}

/** The reply a replyText is; throws on text that is neither (as JSON.parse does). */
export function parseReplyText(text: string): ProxyReply {
  if (text.startsWith(RAW_CHUNK)) return { type: 'chunk', data: text.slice(RAW_CHUNK.length) };
  return JSON.parse(text) as ProxyReply;
}

/** Pub/sub message carrying one reply: `<requestId> <seq> <replyText>`. */
export function encodeReplyNotice(
  requestId: string,
  seq: number,
  reply: ProxyReply,
  rawChunks = false,
): string {
  return `${requestId} ${seq} ${replyText(reply, rawChunks)}`;
}

export function decodeReplyNotice(
  message: string,
): { requestId: string; seq: number; reply: ProxyReply } | undefined {
  const first = message.indexOf(' ');
  const second = message.indexOf(' ', first + 1);
  if (first < 0 || second < 0) return undefined;
  const seq = Number(message.slice(first + 1, second));
  if (!Number.isInteger(seq) || seq < 1) return undefined;
  try {
    const reply = parseReplyText(message.slice(second + 1));
    return { requestId: message.slice(0, first), seq, reply };
  } catch {
    return undefined;
  }
}

/** Pub/sub channel carrying one gateway instance's replies (the stream is the durable copy). */
export function replyNotifyChannel(prefix: string, gatewayId: string): string {
  return `${prefix}:reply-notify:${gatewayId}`;
}

export const REPLY_STREAM_MAXLEN = 10_000;
export const REPLY_STREAM_TTL_SECONDS = 300;
/**
 * Slack on how long a request's replies stay after the last one (see ReplyStreams): a worker's
 * clock may be behind the gateway's that set the deadline, and a stalled job waits for a worker.
 */
export const REPLY_LINGER_MARGIN_MS = 30_000;
