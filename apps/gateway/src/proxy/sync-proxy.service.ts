import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { type PiiMapping, SseRestorer, restoreJsonText } from '@gatehouse/pii';
import { isLastReply, type ProxyEndpoint, type ProxyReply } from '@gatehouse/queue';
import { ENDPOINTS } from '@gatehouse/providers';
import {
  GatewayTimeoutException,
  HttpException,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Admitted } from '../admission/admission.service.js';
import type { HeldSlots } from '../admission/concurrency-slots.js';
import { RetryLater } from '../admission/limit-state.js';
import { PriceBook } from '../prices/price-book.service.js';
import { PiiMasking } from '../pii/pii-masking.service.js';
import type { ClientKey } from '../auth/principal.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { InFlightRequests } from './in-flight-requests.js';
import { proxyJobData } from './proxy-job-data.js';
import { ProxyQueue } from './proxy-queue.service.js';
import { ProxyRequestPolicy } from './proxy-request-policy.js';
import {
  type ReplyChannel,
  ReplyHub,
  type ReplyListener,
  ReplyTimeoutError,
} from './reply-hub.service.js';
import { sseErrorEvent } from './sse-error-event.js';

/** How long past the upstream budget a client waits for the queue hop and the reply. */
const QUEUE_GRACE_MS = 5_000;

/** A proxied request's identity and time limit, fixed before admission takes its slots. */
export type ProxyTicket = {
  requestId: string;
  /** When the client stops waiting for the worker. */
  deadline: number;
  /** When the request's concurrency slots free themselves if never released. */
  leaseEndsAt: number;
};

/**
 * The synchronous path: queue the request, wait for the worker's replies and relay them in the
 * provider's own wire format: one JSON body, or SSE chunks written as they arrive.
 */
@Injectable()
export class SyncProxy {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly policy: ProxyRequestPolicy,
    private readonly queue: ProxyQueue,
    private readonly hub: ReplyHub,
    private readonly inFlight: InFlightRequests,
    private readonly prices: PriceBook,
    private readonly pii: PiiMasking,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** A new request's ticket, taken before admission (whose slots are leased until it ends). */
  ticket(): ProxyTicket {
    // The worker spends at most UPSTREAM_TOTAL_TIMEOUT_MS on all attempts together; the rest
    // is for the queue hop.
    const deadline = Date.now() + this.config.UPSTREAM_TOTAL_TIMEOUT_MS + QUEUE_GRACE_MS;
    return { requestId: randomUUID(), deadline, leaseEndsAt: deadline + QUEUE_GRACE_MS };
  }

  /**
   * Relays an admitted request: `ticket` is the one admission took the request's slots with;
   * the caller releases what admission holds, unless the job took it over.
   */
  async handle(
    endpoint: ProxyEndpoint,
    key: ClientKey,
    req: FastifyRequest,
    reply: FastifyReply,
    { requestId, deadline }: ProxyTicket,
    { reservation, slots }: Admitted,
  ): Promise<void> {
    const { model, stream, body } = this.policy.admit(endpoint, key, req.body);
    const masked = this.pii.apply(key, endpoint, body, req.auditContext);
    const data = proxyJobData(req, {
      requestId,
      key,
      endpoint,
      model,
      stream,
      body: masked.body,
      reply: { kind: 'sync', gatewayId: this.hub.gatewayId, rawChunks: true, repliesHashed: true },
      deadline,
      reservation,
      slots: slots?.sets,
      price: this.prices.priceOf(model),
    });
    const replies = freeingSlots(this.hub.open(requestId, deadline), slots);
    let settled = false;
    const res = reply.raw;
    // Revoking the key ends this request too (see InFlightRequests): its close cancels the job.
    const untrack = this.inFlight.track(key.id, requestId, () => res.destroy());
    res.on('close', () => {
      replies.close();
      if (!settled) void this.queue.cancel(requestId);
    });
    try {
      await this.queue.enqueue(data);
      reservation?.handOff();
      await this.relay(endpoint, stream, replies, reply, masked.mapping, () => {
        settled = true;
        void this.queue.cancel(requestId);
      });
    } catch (err) {
      if (res.destroyed) return; // the client went away: there is nobody left to answer
      throw err;
    } finally {
      settled = true;
      untrack();
      replies.close();
    }
    // Resolved once the response has gone. A stream whose replies had all come by the time its
    // head was read is relayed before Fastify wrote a byte of it: a handler resolving then would
    // be taken for one that answered nothing, and answered for with an empty body.
    await reply;
  }

  private async relay(
    endpoint: ProxyEndpoint,
    stream: boolean,
    replies: ReplyChannel,
    reply: FastifyReply,
    mapping: PiiMapping,
    cancelUpstream: () => void,
  ): Promise<void> {
    const res = reply.raw;
    const first = await this.nextReply(replies, res);
    const masked = Object.keys(mapping).length > 0;
    switch (first.type) {
      case 'result':
        this.metrics.firstByte(endpoint, stream, reply.elapsedTime, first.upstreamMs);
        await reply
          .code(first.status)
          .type(first.contentType)
          .send(masked ? restoreJsonText(first.body, mapping) : first.body);
        return;
      case 'error':
        throw errorFrom(first);
      case 'head':
        break;
      default:
        throw new ServiceUnavailableException('Unexpected reply from the worker');
    }
    // The stream goes out through Fastify (its hooks write the edge's headers), chunks as they come.
    this.metrics.firstByte(endpoint, stream, reply.elapsedTime, first.upstreamMs);
    const out = new Readable({ read: () => undefined }); // fed by push, as chunks arrive
    void reply
      .code(first.status)
      .header('Content-Type', first.contentType)
      .header('X-Accel-Buffering', 'no') // nginx: pass chunks through unbuffered
      .send(out);
    this.metrics.openStreams.inc();
    try {
      // Originals go back into the stream; a placeholder split across chunks waits for its end.
      const restorer = masked ? new SseRestorer(mapping, ENDPOINTS[endpoint].provider) : undefined;
      await this.relayChunks(endpoint, replies, out, res, cancelUpstream, restorer);
    } finally {
      this.metrics.openStreams.dec();
      out.push(null);
    }
  }

  /**
   * Relays a stream's chunks, each pushed to the client's stream in the turn its notice came
   * in; settles once the stream ended, failed, or its client went away.
   */
  private relayChunks(
    endpoint: ProxyEndpoint,
    replies: ReplyChannel,
    out: Readable,
    res: FastifyReply['raw'],
    cancelUpstream: () => void,
    restorer?: SseRestorer,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err?: Error) => {
        done = true;
        if (err === undefined) resolve();
        else reject(err);
      };
      // What the restorer still holds goes out before the stream ends (or its error event).
      const flush = () => {
        const held = restorer?.end();
        if (held) out.push(held);
      };
      const onReply = (reply: ProxyReply) => {
        if (res.destroyed) return finish();
        if (reply.type === 'chunk') {
          const data = restorer ? restorer.feed(reply.data) : reply.data;
          if (data) out.push(data);
          if (out.readableLength + res.writableLength > this.config.STREAM_CLIENT_BUFFER_BYTES) {
            // A client reading slower than the upstream sends: what it has not taken is held
            // here, so past the cap the stream ends and the upstream call is cancelled.
            cancelUpstream();
            res.destroy();
            finish();
          }
          return;
        }
        flush();
        if (reply.type === 'error') out.push(sseErrorEvent(endpoint, reply.message));
        finish();
      };
      replies.listen({
        reply: (reply) => {
          if (done) return;
          try {
            onReply(reply);
          } catch (err) {
            finish(err as Error);
          }
        },
        fail: () => {
          if (done) return;
          if (!res.destroyed) {
            flush();
            out.push(sseErrorEvent(endpoint, 'The gateway stopped receiving the upstream stream'));
          }
          finish();
        },
      });
    });
  }

  private async nextReply(replies: ReplyChannel, res: FastifyReply['raw']): Promise<ProxyReply> {
    try {
      return await replies.next();
    } catch (err) {
      if (res.destroyed) throw err;
      if (err instanceof ReplyTimeoutError) {
        throw new GatewayTimeoutException('No answer from the upstream provider in time');
      }
      throw new ServiceUnavailableException('Lost contact with the request queue; try again');
    }
  }
}

function errorFrom(reply: Extract<ProxyReply, { type: 'error' }>): HttpException {
  if (reply.retryAfter !== undefined) {
    return new RetryLater(reply.message, reply.status, reply.retryAfter);
  }
  return new HttpException(reply.message, reply.status);
}

/** The channel, taking the worker's word that it freed the request's slots with its last reply. */
function freeingSlots(channel: ReplyChannel, slots?: HeldSlots): ReplyChannel {
  if (!slots) return channel;
  const noteFreed = (reply: ProxyReply) => {
    if (isLastReply(reply) && reply.slotsFreed) slots.freedByWorker();
  };
  return {
    next: async () => {
      const reply = await channel.next();
      noteFreed(reply);
      return reply;
    },
    listen: (listener: ReplyListener) =>
      channel.listen({
        reply: (reply) => {
          noteFreed(reply);
          listener.reply(reply);
        },
        fail: (err) => listener.fail(err),
      }),
    close: () => channel.close(),
  };
}
