import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import type { ProxyJobData, ProxyReply, TokenUsage } from '@gatehouse/queue';
import {
  DEFAULT_ANTHROPIC_VERSION,
  ENDPOINTS,
  StreamUsageTracker,
  cooldownMsFromHeaders,
  isRateLimitStatus,
  isRetryableStatus,
  upstreamAuthHeaders,
  upstreamUrl,
  usageFromJson,
  UsageChunkFilter,
  withStreamUsage,
} from '@gatehouse/providers';
import { type Spend, costMicros, countOutputTokens } from '@gatehouse/budgets';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { createRedactor } from '@gatehouse/redact';
import { scrubCredential } from '../upstream/scrub-credential.js';
import { AccountSelector } from '../accounts/account-selector.js';
import { AccountPool } from '../accounts/account-pool.service.js';
import { AccountState } from '../accounts/account-state.js';
import type { PoolAccount } from '../accounts/pool-account.js';
import { WorkerAudit } from '../audit-trail/worker-audit.service.js';
import { OUTAGE_PATIENCE_MS, patientSink, SinkFailure } from '../replies/outage-patience.js';
import { type ReplySink, sendAll } from '../replies/reply-sink.js';
import { UpstreamHttp, type UpstreamResponse } from '../upstream/upstream-http.js';
import { BudgetSettler } from '../budgets/budget-settler.js';
import { Cancellation } from './cancellation.js';
import { UpstreamAddressRefused } from '../upstream/upstream-address-guard.js';
import { type AttemptOutcome, WorkerMetrics } from '../metrics/worker-metrics.js';
import {
  type AttemptResult,
  afterAttempt,
  backoffMs,
  beforeAttempt,
  errorReply,
  FAILOVER_START,
  finalReply,
} from './failover.js';

/** How a request went, gathered for its request.completed audit event and its budget. */
type Trail = {
  accountId?: string;
  status?: number;
  usage?: TokenUsage;
  attempts: number;
  response: string;
  /** A relayed stream's usage and produced text, and whether it reached its end. */
  stream?: { tracker: StreamUsageTracker; ended: boolean };
};

class ResponseTooLarge extends Error {}

/**
 * One request's trip upstream: choose an account, call it, and on a rate limit, a 5xx or a
 * timeout move on to the next account, until an answer or UPSTREAM_MAX_ATTEMPTS.
 */
@Injectable()
export class ProxyRunner {
  private readonly redactor = createRedactor();
  private readonly logger = new Logger(ProxyRunner.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly pool: AccountPool,
    private readonly selector: AccountSelector,
    private readonly state: AccountState,
    private readonly http: UpstreamHttp,
    private readonly budgets: BudgetSettler,
    private readonly audit: WorkerAudit,
    private readonly metrics: WorkerMetrics,
  ) {}

  /**
   * `cancel` aborts when the client went away (before the job started, or during it): then
   * nothing is sent and nobody is blamed. Whatever happens, one request.completed audit event
   * says how it ended.
   */
  async run(job: ProxyJobData, sink: ReplySink, cancel: Cancellation): Promise<void> {
    const started = Date.now();
    const trail: Trail = { attempts: 0, response: '' };
    // A sync client stops waiting at the deadline: no point delivering to it after that.
    const patience = started + OUTAGE_PATIENCE_MS;
    const giveUpAt = job.reply.kind === 'sync' ? Math.min(job.deadline, patience) : patience;
    try {
      await this.route(job, this.tracked(patientSink(sink, giveUpAt), trail), cancel, trail);
    } finally {
      const spent = spendOf(job, trail, cancel.aborted);
      void this.budgets.settle(job, spent); // logs its own failure
      const tokens = typeof spent === 'object' ? spent : undefined;
      this.audit.record(
        'request.completed',
        job,
        {
          endpoint: job.endpoint,
          model: job.model,
          stream: job.stream,
          account_id: trail.accountId ?? null,
          status: cancel.aborted && trail.status === undefined ? 499 : (trail.status ?? 500),
          cancelled: cancel.aborted,
          attempts: trail.attempts,
          latency_ms: Date.now() - started,
          tokens_in: tokens?.input ?? 0,
          tokens_out: tokens?.output ?? 0,
          cost_micros: tokens && job.price ? costMicros(tokens, job.price) : null,
        },
        this.audit.capturesBodies ? { request: job.body, response: trail.response } : undefined,
      );
    }
  }

  /** Notes what reaches the client (status, usage, a capped copy of the body) on the way out. */
  private tracked(sink: ReplySink, trail: Trail): ReplySink {
    const limit = this.audit.capturesBodies ? this.audit.bodyLimit : 0;
    const keep = (text: string) => {
      if (trail.response.length < limit)
        trail.response += text.slice(0, limit - trail.response.length);
    };
    const note = (reply: ProxyReply) => {
      if (reply.type === 'result' || reply.type === 'head') trail.status = reply.status;
      if (reply.type === 'error') trail.status ??= reply.status;
      if (reply.type === 'result' || reply.type === 'end') trail.usage = reply.usage;
      if (reply.type === 'result') keep(reply.body);
      if (reply.type === 'chunk') keep(reply.data);
    };
    return {
      send: (reply) => {
        note(reply);
        return sink.send(reply);
      },
      sendAll: (replies) => {
        replies.forEach(note);
        return sendAll(sink, replies);
      },
    };
  }

  private async route(
    job: ProxyJobData,
    sink: ReplySink,
    cancel: Cancellation,
    trail: Trail,
  ): Promise<void> {
    if (cancel.aborted) return; // the client left before the job started: nothing to send
    // One budget for every attempt on every account, not one per attempt: a hanging upstream
    // must not cost the client (first-byte timeout × attempts). Never past the client's wait.
    const budgetEnds = Math.min(Date.now() + this.config.UPSTREAM_TOTAL_TIMEOUT_MS, job.deadline);
    let candidates = await this.pool.candidates(job.endpoint, job.model);
    if (candidates.length === 0) return this.noAccount(job, sink);
    const select = (tried: ReadonlySet<string>) => this.selector.select(candidates, tried);
    // Usage is asked for even when the client did not ask, or its tokens would count nothing.
    const upstreamBody = withStreamUsage(job.endpoint, job.stream, job.body);
    const body = JSON.stringify(upstreamBody.body); // once, whatever the number of attempts
    const stripUsage = upstreamBody.added;
    const tried = new Set<string>();
    const maxFailures = this.config.UPSTREAM_MAX_ATTEMPTS;
    let progress = FAILOVER_START;
    for (;;) {
      const next = beforeAttempt(progress, {
        maxFailures,
        candidates: candidates.length,
        now: Date.now(),
        budgetEnds,
      });
      if (next.kind === 'stop') {
        progress = next.progress;
        break;
      }
      if (cancel.aborted) return;
      if (candidates.some((a) => a.retired)) {
        // An account was changed or paused since this request began: ask the pool again.
        candidates = await this.pool.candidates(job.endpoint, job.model);
        if (candidates.length === 0) return this.noAccount(job, sink);
      }
      const selection = select(tried);
      if (selection.kind !== 'account') break;
      if (trail.attempts > 0) this.metrics.failedOver(); // the selector never picks one twice
      tried.add(selection.account.id);
      trail.accountId = selection.account.id;
      trail.attempts++;
      const outcome = await this.attempt(
        job,
        { body, stripUsage },
        selection.account,
        sink,
        cancel,
        budgetEnds,
        trail,
      );
      const after = afterAttempt(progress, outcome, maxFailures);
      if (after.kind === 'finished') return;
      progress = after.progress;
      if (after.kind === 'cool-down') {
        await this.state.coolDown(selection.account.id, after.cooldownMs);
        this.audit.record('account.cooldown', job, {
          account_id: selection.account.id,
          cooldown_ms: after.cooldownMs,
        });
        continue;
      }
      const failed = after.reply;
      this.audit.record('upstream.failed', job, {
        account_id: selection.account.id,
        status: failed.type === 'error' || failed.type === 'result' ? failed.status : null,
        reason: failed.type === 'error' ? failed.message : 'retryable upstream status',
      });
      if (after.backoffAttempt !== undefined) {
        await sleep(Math.min(backoffMs(after.backoffAttempt), budgetEnds - Date.now()), cancel);
      }
    }
    if (cancel.aborted) return;
    await sink.send(finalReply(progress, select(new Set())));
  }

  private async noAccount(job: ProxyJobData, sink: ReplySink): Promise<void> {
    await sink.send(
      errorReply(
        503,
        'service_unavailable',
        `No upstream account serves model "${job.model}" on this endpoint`,
      ),
    );
  }

  private async attempt(
    job: ProxyJobData,
    { body, stripUsage }: { body: string; stripUsage: boolean },
    account: PoolAccount,
    sink: ReplySink,
    cancel: Cancellation,
    budgetEnds: number,
    trail: Trail,
  ): Promise<AttemptResult> {
    // One cancellation and one plain timer per attempt: AbortSignal.timeout + AbortSignal.any
    // cost several times more per call (weak references, finalization registry).
    const upstream = new Cancellation();
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        upstream.abort();
      },
      Math.max(0, budgetEnds - Date.now()),
    );
    const stopListening = cancel.onAbort(() => upstream.abort());
    this.state.acquire(account.id);
    const startedAt = performance.now();
    let ended: AttemptOutcome = 'error';
    try {
      const res = await this.http.post({
        url: upstreamUrl(account.baseUrl, job.endpoint),
        headers: this.headersFor(job, account),
        body,
        signal: upstream,
      });
      const firstByteMs = performance.now() - startedAt;
      this.metrics.firstByteAfter(account, firstByteMs);
      if (isRateLimitStatus(res.status)) {
        await res.body.dump();
        ended = 'rate_limited';
        return {
          kind: 'rate-limited',
          cooldownMs:
            cooldownMsFromHeaders(res.headers) ??
            this.config.UPSTREAM_DEFAULT_COOLDOWN_SECONDS * 1000,
        };
      }
      const contentType = headerValue(res.headers, 'content-type') ?? 'application/json';
      if (job.stream && res.status < 300 && contentType.includes('text/event-stream')) {
        const streamed = await this.relayStream(
          job,
          { res, contentType, upstreamMs: firstByteMs },
          sink,
          cancel,
          stripUsage,
          trail,
        );
        ended = streamed.kind === 'cancelled' ? 'cancelled' : 'answered';
        return streamed;
      }
      const read = await readCapped(res, this.config.UPSTREAM_MAX_RESPONSE_BYTES);
      // An error is relayed in the provider's format, but never with (part of) the key in it.
      const text =
        res.status >= 400
          ? scrubCredential(read, account.credential.toString('utf8'), this.redactor)
          : read;
      const upstreamMs = performance.now() - startedAt;
      const result: ProxyReply = { type: 'result', status: res.status, contentType, body: text };
      if (isRetryableStatus(res.status)) return { kind: 'retryable', reply: result };
      const usage = res.status < 300 ? parseUsage(job, text) : undefined;
      ended = 'answered';
      await sink.send({ ...result, usage, upstreamMs });
      return { kind: 'done' };
    } catch (err) {
      if (err instanceof SinkFailure) throw err; // the answer was had: never call again for it
      if (cancel.aborted) {
        ended = 'cancelled';
        return { kind: 'cancelled' };
      }
      return { kind: 'retryable', reply: this.failureReply(err, timedOut, account) };
    } finally {
      this.metrics.attemptEnded(account, ended, performance.now() - startedAt);
      clearTimeout(timer);
      stopListening();
      this.state.release(account.id);
    }
  }

  /**
   * Streams are relayed chunk by chunk as they arrive; once a byte is out, no retry is possible.
   * With `stripUsage` the usage-only chunk the gateway asked for (the client did not) is counted,
   * then removed on the way to the client.
   */
  private async relayStream(
    job: ProxyJobData,
    {
      res,
      contentType,
      upstreamMs,
    }: { res: UpstreamResponse; contentType: string; upstreamMs: number },
    sink: ReplySink,
    cancel: Cancellation,
    stripUsage: boolean,
    trail: Trail,
  ): Promise<AttemptResult> {
    const tracker = new StreamUsageTracker(job.endpoint);
    trail.stream = { tracker, ended: false };
    const filter = stripUsage ? new UsageChunkFilter() : undefined;
    const decoder = new TextDecoder();
    let bytes = 0;
    /** What of an upstream piece goes to the client (counted, and stripped of usage as asked). */
    const take = (piece: Buffer): string => {
      bytes += piece.length;
      if (bytes > this.config.UPSTREAM_MAX_RESPONSE_BYTES) throw new ResponseTooLarge();
      const text = decoder.decode(piece, { stream: true });
      if (text.length === 0) return '';
      tracker.feed(text);
      return filter ? filter.feed(text) : text;
    };
    const head: ProxyReply = { type: 'head', status: res.status, contentType, upstreamMs };
    try {
      // What came with the headers (a provider's first event usually does) leaves with the head
      // in one send: one Redis round trip fewer before the client's first byte.
      const early = res.body.read() as Buffer | null;
      const first = early ? take(early) : '';
      await sendAll(sink, first ? [head, { type: 'chunk', data: first }] : [head]);
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const out = take(chunk);
        if (out) await sink.send({ type: 'chunk', data: out });
      }
      const decoded = decoder.decode();
      if (decoded) tracker.feed(decoded);
      const tail = filter ? filter.feed(decoded) + filter.end() : decoded;
      if (tail) await sink.send({ type: 'chunk', data: tail });
    } catch (err) {
      if (err instanceof SinkFailure) throw err;
      if (cancel.aborted) return { kind: 'cancelled' };
      this.logger.warn(`stream from upstream broke: ${(err as Error).message}`);
      await sink.send(errorReply(502, 'upstream_error', 'The upstream stream was interrupted'));
      return { kind: 'done' };
    }
    trail.stream.ended = true;
    await sink.send({ type: 'end', usage: tracker.usage() });
    return { kind: 'done' };
  }

  private headersFor(job: ProxyJobData, account: PoolAccount): Record<string, string> {
    const headers: Record<string, string> = {
      ...job.headers,
      'content-type': 'application/json',
      accept: job.stream ? 'text/event-stream' : 'application/json',
      'user-agent': 'gatehouse',
      // A short-lived string (headers are strings); the long-lived copy is the zeroable Buffer.
      ...upstreamAuthHeaders(account.provider, account.credential.toString('utf8')),
    };
    if (ENDPOINTS[job.endpoint].provider === 'anthropic') {
      headers['anthropic-version'] ??= DEFAULT_ANTHROPIC_VERSION;
    }
    return headers;
  }

  private failureReply(err: unknown, timedOut: boolean, account: PoolAccount): ProxyReply {
    if (err instanceof ResponseTooLarge) {
      return errorReply(502, 'upstream_error', 'The upstream response exceeded the size limit');
    }
    const code = (err as { code?: string }).code ?? '';
    if (timedOut || code.includes('TIMEOUT')) {
      this.logger.warn(`account ${account.id}: upstream timed out (${code || 'total timeout'})`);
      return errorReply(504, 'upstream_error', 'The upstream provider timed out');
    }
    if (err instanceof UpstreamAddressRefused) {
      // The operator's to fix (an account on a private address): say exactly what and how.
      this.logger.warn(`account ${account.id}: ${err.message}`);
    } else {
      this.logger.warn(
        `account ${account.id}: upstream unreachable (${code || (err as Error).message})`,
      );
    }
    return errorReply(502, 'upstream_error', 'The upstream provider could not be reached');
  }
}

/**
 * What a request used, for its budget and its audit record: the provider's count when it gave
 * one; for a stream cut short, the prompt as estimated at admission and the text that streamed
 * (counted); nothing when no call was answered. A success without a count keeps what was
 * reserved.
 */
function spendOf(job: ProxyJobData, trail: Trail, cancelled: boolean): Spend {
  const stream = trail.stream;
  if (stream && !stream.ended) {
    const reported = stream.tracker.usage();
    const provider = ENDPOINTS[job.endpoint].provider;
    return {
      input: reported?.input || (job.budget?.promptTokens ?? 0),
      output: Math.max(
        reported?.output ?? 0,
        countOutputTokens(provider, stream.tracker.producedText()),
      ),
    };
  }
  if (trail.usage) return trail.usage;
  if (trail.status !== undefined && trail.status < 300) return 'reserved';
  // A JSON call the client left while it ran: the provider read the prompt.
  if (cancelled && trail.attempts > 0 && trail.status === undefined) {
    return { input: job.budget?.promptTokens ?? 0, output: 0 };
  }
  return 'nothing';
}

function parseUsage(job: ProxyJobData, body: string): TokenUsage | undefined {
  try {
    return usageFromJson(job.endpoint, JSON.parse(body));
  } catch {
    return undefined;
  }
}

function headerValue(headers: UpstreamResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readCapped(res: UpstreamResponse, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      res.body.destroy();
      throw new ResponseTooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Waits `ms`, or less if cancelled meanwhile. */
function sleep(ms: number, cancel: Cancellation): Promise<void> {
  return new Promise((resolve) => {
    let stopListening = (): void => undefined;
    const timer = setTimeout(() => {
      stopListening();
      resolve();
    }, ms);
    // Set after the timer: a cancellation already made calls this at once.
    stopListening = cancel.onAbort(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
