import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RecordedRequest = {
  account: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  /** Date.now() when the request arrived. */
  receivedAt: number;
  /** Set when the caller hung up before the mock finished answering. */
  aborted: boolean;
  finished: boolean;
};

export type Behaviour =
  | {
      kind: 'ok';
      delayMs?: number;
      chunks?: number;
      chunkIntervalMs?: number;
      /** Padding added to each streamed chunk's content, to move many bytes in few chunks. */
      chunkPadding?: number;
      /**
       * Answer with the last message's text, as one body or, streamed, in pieces of this many
       * characters (so a placeholder in it is split across chunks).
       */
      echoInPiecesOf?: number;
    }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: 'hang' };

export type MockUpstream = {
  url: string;
  /** Base URL of one named account: OpenAI-style (`…/v1`) or Anthropic-style. */
  openaiBase(account: string): string;
  anthropicBase(account: string): string;
  /** Behaviour of an account's next requests (default: a normal answer). */
  setBehaviour(account: string, behaviour: Behaviour): void;
  requests: RecordedRequest[];
  close(): Promise<void>;
};

/**
 * The allowance a suite needs to proxy to this mock: the worker refuses non-public upstream
 * addresses (loopback included) unless the operator allows them.
 */
export const LOOPBACK_UPSTREAM = { UPSTREAM_ALLOWED_HOSTS: '127.0.0.1' };

/** A real HTTP server on loopback speaking enough OpenAI and Anthropic for the gateway's tests. */
export async function startMockUpstream(): Promise<MockUpstream> {
  const behaviours = new Map<string, Behaviour>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const [, account = '', ...rest] = (req.url ?? '').split('/');
    const path = `/${rest.join('/')}`;
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      // recorded as empty
    }
    const record: RecordedRequest = {
      account,
      path,
      headers: req.headers,
      body,
      receivedAt: Date.now(),
      aborted: false,
      finished: false,
    };
    requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    const behaviour = behaviours.get(account) ?? { kind: 'ok' };
    if (behaviour.kind === 'hang') return;
    if (behaviour.kind === 'status') {
      res.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers });
      res.end(JSON.stringify(behaviour.body ?? { error: { message: `mock ${behaviour.status}` } }));
      record.finished = true;
      return;
    }
    await sleep(behaviour.delayMs ?? 0);
    const anthropic = path === '/v1/messages';
    const model = typeof body.model === 'string' ? body.model : 'mock-model';
    if (behaviour.echoInPiecesOf !== undefined) {
      const text = lastMessageText(body);
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const event of echoStream(anthropic, model, text, behaviour.echoInPiecesOf)) {
          res.write(event);
          await sleep(1);
        }
        res.end();
      } else {
        const completion = openaiCompletion(model, account);
        completion.choices[0].message.content = text;
        const answer = anthropic
          ? { ...anthropicMessage(model, account), content: [{ type: 'text', text }] }
          : completion;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      }
      record.finished = true;
      return;
    }
    if (body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const events = anthropic
        ? anthropicStream(model, behaviour.chunks ?? 4)
        : openaiStream(
            model,
            behaviour.chunks ?? 4,
            behaviour.chunkPadding ?? 0,
            // As OpenAI: usage only when asked for.
            (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage ===
              true,
          );
      for (const event of events) {
        if (res.destroyed) return;
        res.write(event);
        await sleep(behaviour.chunkIntervalMs ?? 0);
      }
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          anthropic ? anthropicMessage(model, account) : openaiCompletion(model, account),
        ),
      );
    }
    record.finished = true;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiBase: (account) => `${url}/${account}/v1`,
    anthropicBase: (account) => `${url}/${account}`,
    setBehaviour: (account, behaviour) => behaviours.set(account, behaviour),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function openaiCompletion(model: string, account: string) {
  return {
    id: 'chatcmpl-mock',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: `Hello from ${account}` },
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
  };
}

export function anthropicMessage(model: string, account: string) {
  return {
    id: 'msg_mock',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: `Hello from ${account}` }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 7 },
  };
}

/**
 * The exact SSE events an OpenAI-style streaming answer of `n` chunks is made of, in order; the
 * usage-only chunk only `withUsage` (stream_options.include_usage).
 */
export function openaiStream(model: string, n: number, padding = 0, withUsage = true): string[] {
  const base = {
    id: 'chatcmpl-mock',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
  };
  const events = [];
  for (let i = 0; i < n; i++) {
    const chunk = {
      ...base,
      choices: [
        { index: 0, delta: { content: `tok${i} ${'x'.repeat(padding)}` }, finish_reason: null },
      ],
    };
    events.push(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  events.push(
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
  );
  if (withUsage) {
    events.push(
      `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: n, total_tokens: 5 + n } })}\n\n`,
    );
  }
  events.push('data: [DONE]\n\n');
  return events;
}

/** The exact SSE events an Anthropic-style streaming answer of `n` chunks is made of, in order. */
export function anthropicStream(model: string, n: number): string[] {
  const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  const events = [
    ev('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_mock',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 5, output_tokens: 1 },
      },
    }),
    ev('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    }),
  ];
  for (let i = 0; i < n; i++) {
    events.push(
      ev('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: `tok${i} ` },
      }),
    );
  }
  events.push(ev('content_block_stop', { type: 'content_block_stop', index: 0 }));
  events.push(
    ev('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: n },
    }),
  );
  events.push(ev('message_stop', { type: 'message_stop' }));
  return events;
}

/** The text of a request's last message (a string, or its text parts joined). */
function lastMessageText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const last = messages.at(-1) as { content?: unknown } | undefined;
  if (typeof last?.content === 'string') return last.content;
  if (Array.isArray(last?.content)) {
    return (last.content as { text?: unknown }[])
      .map((part) => (typeof part.text === 'string' ? part.text : ''))
      .join('');
  }
  return '';
}

/** An SSE answer whose text is `text`, in pieces of `size` characters. */
function echoStream(anthropic: boolean, model: string, text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  if (anthropic) {
    const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    return [
      ev('message_start', {
        type: 'message_start',
        message: {
          id: 'msg_mock',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          usage: { input_tokens: 5, output_tokens: 1 },
        },
      }),
      ev('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }),
      ...pieces.map((piece) =>
        ev('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: piece },
        }),
      ),
      ev('content_block_stop', { type: 'content_block_stop', index: 0 }),
      ev('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn' },
        usage: { output_tokens: pieces.length },
      }),
      ev('message_stop', { type: 'message_stop' }),
    ];
  }
  const base = {
    id: 'chatcmpl-mock',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
  };
  return [
    ...pieces.map(
      (piece) =>
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`,
    ),
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
    `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: pieces.length, total_tokens: 5 + pieces.length } })}\n\n`,
    'data: [DONE]\n\n',
  ];
}
