import type { AppConfig } from '@gatehouse/config';
import type { ProxyJobData, ProxyReply } from '@gatehouse/queue';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { newRequestContext } from '../audit-trail/request-context.js';
import type { ClientKey } from '../auth/principal.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { PiiMasking } from '../pii/pii-masking.service.js';
import type { PriceBook } from '../prices/price-book.service.js';
import type { InFlightRequests } from './in-flight-requests.js';
import type { ProxyQueue } from './proxy-queue.service.js';
import { ProxyRequestPolicy } from './proxy-request-policy.js';
import { type ReplyChannel, type ReplyHub, Waiter } from './reply-hub.service.js';
import { SyncProxy } from './sync-proxy.service.js';

const chunks = ['data: {"n":1}\n\n', 'data: {"n":2}\n\n', 'data: [DONE]\n\n'];

/**
 * The relay in front of a real Fastify, with the worker's replies handed over by a real Waiter;
 * the queue only delivers what a worker would have written. The route is an async handler that
 * resolves once the proxy is done, as the proxy routes are.
 */
async function relayApp(worker: (requestId: string, waiter: Waiter) => void): Promise<{
  app: FastifyInstance;
  enqueued: ProxyJobData[];
}> {
  const config = {
    UPSTREAM_TOTAL_TIMEOUT_MS: 5_000,
    STREAM_CLIENT_BUFFER_BYTES: 1 << 20,
  } as AppConfig;
  const enqueued: ProxyJobData[] = [];
  const waiters = new Map<string, Waiter>();
  const hub = {
    gatewayId: 'gateway-1',
    open: (requestId: string, deadline: number): ReplyChannel => {
      const waiter = new Waiter(deadline);
      waiters.set(requestId, waiter);
      return {
        next: () => waiter.next(),
        listen: (listener) => waiter.listen(listener),
        close: () => waiter.close(),
      };
    },
  } as unknown as ReplyHub;
  const queue = {
    enqueue: (data: ProxyJobData) => {
      enqueued.push(data);
      const waiter = waiters.get(data.requestId);
      if (waiter) worker(data.requestId, waiter);
      return Promise.resolve();
    },
    cancel: () => Promise.resolve(),
  } as unknown as ProxyQueue;
  const proxy = new SyncProxy(
    config,
    new ProxyRequestPolicy(),
    queue,
    hub,
    { track: () => () => undefined } as unknown as InFlightRequests,
    { priceOf: () => undefined } as unknown as PriceBook,
    {
      apply: (_key: unknown, _endpoint: unknown, body: Record<string, unknown>) => ({
        body,
        mapping: {},
      }),
    } as unknown as PiiMasking,
    {
      firstByte: () => undefined,
      openStreams: { inc: () => undefined, dec: () => undefined },
    } as unknown as GatewayMetrics,
  );
  const key = { id: 'key-1', allowedModels: [] as string[] } as ClientKey;
  const app = Fastify();
  app.decorateRequest('clientIp', '');
  app.decorateRequest('path', '');
  app.decorateRequest('auditContext', null as never);
  app.addHook('onRequest', (req, _reply, done) => {
    req.clientIp = '127.0.0.1';
    req.path = req.url;
    req.auditContext = newRequestContext(req);
    done();
  });
  app.post('/v1/chat/completions', async (req, reply) => {
    await proxy.handle('chat.completions', key, req, reply, proxy.ticket(), {});
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, enqueued };
}

/** POSTs `payload` to the app's proxy route over loopback. */
async function post(
  app: FastifyInstance,
  payload: Record<string, unknown>,
): Promise<{ status: number; contentType: string | null; body: string }> {
  const { port } = app.server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: await res.text(),
  };
}

describe('sync proxy relay', () => {
  let app: FastifyInstance | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const head: ProxyReply = { type: 'head', status: 200, contentType: 'text/event-stream' };
  const messages = [{ role: 'user', content: 'hi' }];
  const streamed = { model: 'm', stream: true, messages };

  it('relays a stream whose every reply had come before the relay read its head', async () => {
    // The worker's replies all arrived in one turn (a busy gateway, or a read of the reply
    // stream after a gap): the whole stream is relayed in the turn the head is read, before
    // Fastify has written a byte of it.
    ({ app } = await relayApp((_requestId, waiter) => {
      const replies: ProxyReply[] = [
        head,
        ...chunks.map((data): ProxyReply => ({ type: 'chunk', data })),
        { type: 'end' },
      ];
      replies.forEach((reply, i) => waiter.deliver(i + 1, reply));
    }));
    const res = await post(app, streamed);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('text/event-stream');
    expect(res.body).toBe(chunks.join(''));
  });

  it('relays chunks as they arrive, then ends the stream', async () => {
    ({ app } = await relayApp((_requestId, waiter) => {
      waiter.deliver(1, head);
      chunks.forEach((data, i) => {
        setTimeout(() => waiter.deliver(i + 2, { type: 'chunk', data }), 5 * (i + 1));
      });
      setTimeout(() => waiter.deliver(chunks.length + 2, { type: 'end' }), 5 * (chunks.length + 1));
    }));
    const res = await post(app, streamed);
    expect(res.status).toBe(200);
    expect(res.body).toBe(chunks.join(''));
  });

  it('ends a stream the worker broke off with an error event, after what came before it', async () => {
    ({ app } = await relayApp((_requestId, waiter) => {
      waiter.deliver(1, head);
      waiter.deliver(2, { type: 'chunk', data: chunks[0] ?? '' });
      waiter.deliver(3, {
        type: 'error',
        status: 502,
        errorType: 'upstream_error',
        message: 'The upstream stream was interrupted',
      });
    }));
    const res = await post(app, streamed);
    expect(res.status).toBe(200);
    expect(res.body.startsWith(chunks[0] ?? '?')).toBe(true);
    expect(res.body).toContain('The upstream stream was interrupted');
  });

  it('asks the worker to write chunks raw, and replies to a hash', async () => {
    let enqueued: ProxyJobData[];
    ({ app, enqueued } = await relayApp((_requestId, waiter) => {
      waiter.deliver(1, {
        type: 'result',
        status: 200,
        contentType: 'application/json',
        body: '{}',
      });
    }));
    const res = await post(app, { model: 'm', messages });
    expect(res.body).toBe('{}');
    expect(enqueued[0]?.reply).toEqual({
      kind: 'sync',
      gatewayId: 'gateway-1',
      rawChunks: true,
      repliesHashed: true,
    });
  });
});
