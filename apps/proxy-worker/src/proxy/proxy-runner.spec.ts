import type { AppConfig } from '@gatehouse/config';
import { PROXY_JOB_VERSION, type ProxyJobData, type ProxyReply } from '@gatehouse/queue';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import type { AccountPool } from '../accounts/account-pool.service.js';
import type { AccountSelector } from '../accounts/account-selector.js';
import type { AccountState } from '../accounts/account-state.js';
import type { PoolAccount } from '../accounts/pool-account.js';
import type { WorkerAudit } from '../audit-trail/worker-audit.service.js';
import type { BudgetSettler } from '../budgets/budget-settler.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { ReplySink } from '../replies/reply-sink.js';
import type { UpstreamHttp } from '../upstream/upstream-http.js';
import { Cancellation } from './cancellation.js';
import { ProxyRunner } from './proxy-runner.js';

const event = (content: string) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;

/** How the upstream starts its stream: the first event with the headers, or after them. */
type Start = 'with-headers' | 'after-headers';

/** An OpenAI-compatible upstream on loopback streaming two events and [DONE]. */
function upstream(start: Start): Server {
  return createServer((req, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const rest = () => setTimeout(() => res.end(`${event(' world')}data: [DONE]\n\n`), 20);
      if (start === 'with-headers') {
        res.write(event('Hello')); // headers and the first event in one write
        rest();
      } else {
        res.flushHeaders();
        setTimeout(() => {
          res.write(event('Hello'));
          rest();
        }, 30);
      }
    });
  });
}

/** A sink that notes each call: `send` with one reply, `sendAll` with the replies together. */
function recordingSink(together = true): ReplySink & { calls: [string, ProxyReply[]][] } {
  const calls: [string, ProxyReply[]][] = [];
  const sink: ReplySink & { calls: [string, ProxyReply[]][] } = {
    calls,
    send: (reply) => {
      calls.push(['send', [reply]]);
      return Promise.resolve();
    },
  };
  if (together) {
    sink.sendAll = (replies) => {
      calls.push(['sendAll', [...replies]]);
      return Promise.resolve();
    };
  }
  return sink;
}

/** The head of the upstream's 200 event stream, as the worker relays it. */
const HEAD = {
  type: 'head',
  status: 200,
  contentType: 'text/event-stream',
  upstreamMs: expect.any(Number),
};

/** The account every test calls: the loopback upstream at `baseUrl`. */
function loopbackAccount(baseUrl: string): PoolAccount {
  return {
    id: randomUUID(),
    name: 'loopback',
    provider: 'openai',
    baseUrl,
    models: [],
    weight: 1,
    priority: 0,
    credential: Buffer.from(`sk-${randomBytes(12).toString('hex')}`),
    retired: false,
  };
}

/** The upstream call as UpstreamHttp makes it (undici), without its address guard. */
async function post(req: { url: string; headers: Record<string, string>; body: string }) {
  const res = await request(req.url, { method: 'POST', headers: req.headers, body: req.body });
  return { status: res.statusCode, headers: res.headers, body: res.body };
}

/** A runner whose one account is `account`. */
function runnerFor(account: PoolAccount, maxResponseBytes = 1_000_000): ProxyRunner {
  const config = {
    UPSTREAM_TOTAL_TIMEOUT_MS: 10_000,
    UPSTREAM_MAX_ATTEMPTS: 1,
    UPSTREAM_DEFAULT_COOLDOWN_SECONDS: 1,
    UPSTREAM_MAX_RESPONSE_BYTES: maxResponseBytes,
  } as AppConfig;
  return new ProxyRunner(
    config,
    { candidates: () => Promise.resolve([account]) } as unknown as AccountPool,
    {
      select: (_: unknown, tried: ReadonlySet<string>) =>
        tried.size === 0 ? { kind: 'account', account } : { kind: 'none' },
    } as unknown as AccountSelector,
    { acquire: () => undefined, release: () => undefined } as unknown as AccountState,
    { post } as unknown as UpstreamHttp,
    { settle: () => Promise.resolve() } as unknown as BudgetSettler,
    { record: () => undefined, capturesBodies: false, bodyLimit: 0 } as unknown as WorkerAudit,
    {
      firstByteAfter: () => undefined,
      attemptEnded: () => undefined,
      failedOver: () => undefined,
    } as unknown as WorkerMetrics,
  );
}

function jobOf(stream: boolean): ProxyJobData {
  return {
    v: PROXY_JOB_VERSION,
    requestId: randomUUID(),
    keyId: randomUUID(),
    endpoint: 'chat.completions',
    model: 'gpt-test',
    stream,
    body: { model: 'gpt-test', stream, messages: [{ role: 'user', content: 'hi' }] },
    headers: {},
    reply: { kind: 'sync', gatewayId: 'gateway-1', rawChunks: true },
    deadline: Date.now() + 10_000,
    client: { requestId: randomUUID(), ip: '127.0.0.1', method: 'POST', path: '/v1/chat' },
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

describe('proxy runner, a stream', () => {
  let server: Server;

  async function run(start: Start, together = true): Promise<[string, ProxyReply[]][]> {
    server = upstream(start);
    const runner = runnerFor(loopbackAccount(await listen(server)));
    const sink = recordingSink(together);
    await runner.run(jobOf(true), sink, new Cancellation());
    return sink.calls;
  }

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the first event that came with the headers together with the head', async () => {
    const calls = await run('with-headers');
    expect(calls[0]).toEqual(['sendAll', [HEAD, { type: 'chunk', data: event('Hello') }]]);
    const rest = calls.slice(1).flatMap(([, replies]) => replies);
    expect(rest.map((r) => r.type)).toEqual(['chunk', 'end']);
    expect(rest[0]).toEqual({ type: 'chunk', data: `${event(' world')}data: [DONE]\n\n` });
  });

  it('sends the head and the first event one after the other to a sink that cannot take both', async () => {
    const calls = await run('with-headers', false);
    expect(calls.map(([how, replies]) => [how, replies.map((r) => r.type)])).toEqual([
      ['send', ['head']],
      ['send', ['chunk']],
      ['send', ['chunk']],
      ['send', ['end']],
    ]);
  });

  it('sends the head alone when the stream starts after it, the first event as it comes', async () => {
    const calls = await run('after-headers');
    expect(calls[0]).toEqual(['sendAll', [HEAD]]);
    expect(calls[1]).toEqual(['send', [{ type: 'chunk', data: event('Hello') }]]);
    expect(calls.at(-1)?.[1].map((r) => r.type)).toEqual(['end']);
  });
});

describe('proxy runner, a JSON answer', () => {
  let server: Server | undefined;

  afterEach(async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  /** An upstream answering 200 with `pieces` written 5 ms apart, then `end` (cut: destroyed). */
  async function answering(pieces: string[], end: 'end' | 'cut' = 'end'): Promise<string> {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        let i = 0;
        const next = () => {
          if (i < pieces.length) {
            res.write(pieces[i++]);
            setTimeout(next, 5);
          } else if (end === 'end') res.end();
          else res.socket?.destroy();
        };
        next();
      });
    });
    return listen(server);
  }

  async function run(baseUrl: string, maxResponseBytes?: number): Promise<ProxyReply[]> {
    const sink = recordingSink();
    const runner = runnerFor(loopbackAccount(baseUrl), maxResponseBytes);
    await runner.run(jobOf(false), sink, new Cancellation());
    return sink.calls.flatMap(([, replies]) => replies);
  }

  const answer = JSON.stringify({
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello world' } }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });

  it('relays a body that came in several pieces whole, with its usage', async () => {
    const pieces = [answer.slice(0, 10), answer.slice(10, 40), answer.slice(40)];
    const replies = await run(await answering(pieces));
    expect(replies).toEqual([
      expect.objectContaining({
        type: 'result',
        status: 200,
        body: answer,
        usage: { input: 3, output: 2 },
      }),
    ]);
  });

  it('refuses a body past UPSTREAM_MAX_RESPONSE_BYTES with a 502, relaying none of it', async () => {
    const replies = await run(await answering([answer.slice(0, 40), answer.slice(40)]), 50);
    expect(replies).toEqual([
      {
        type: 'error',
        status: 502,
        errorType: 'upstream_error',
        message: 'The upstream response exceeded the size limit',
      },
    ]);
  });

  it('answers 502 when the upstream cuts the connection mid-body', async () => {
    // Cut once the answer's text has come (it starts at 64): none of it may be relayed.
    const replies = await run(await answering([answer.slice(0, 80)], 'cut'));
    expect(replies).toEqual([
      expect.objectContaining({ type: 'error', status: 502, errorType: 'upstream_error' }),
    ]);
    expect(JSON.stringify(replies)).not.toContain('Hello');
  });
});
