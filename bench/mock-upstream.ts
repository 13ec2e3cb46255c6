/**
 * The benchmark's upstream: an OpenAI-compatible server on loopback, run as its own process so
 * it never shares an event loop with the load generator. Behaviour is chosen per request by the
 * path, which doubles as an account's base URL:
 *
 *   POST /mock/<delayMs>/<chunks>/<intervalMs>/v1/chat/completions
 *
 * JSON answers come after `delayMs`; with `"stream": true` the answer is SSE: after `delayMs`,
 * `chunks` content chunks `intervalMs` apart, then the finish chunk, a usage chunk and [DONE].
 * Prints `listening <port>` on stdout once it accepts connections.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const PATH = /^\/mock\/(\d+)\/(\d+)\/(\d+)\/v1\/chat\/completions$/;
const CREATED = 1_700_000_000;

type Behaviour = { delayMs: number; chunks: number; intervalMs: number };

function completion(model: string): string {
  return JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: CREATED,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello from the benchmark upstream.' },
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 },
  });
}

function streamEvents(model: string, chunks: number): string[] {
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: CREATED, model };
  const events: string[] = [];
  for (let i = 0; i < chunks; i++) {
    const delta = { content: `token${i} ` };
    events.push(
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`,
    );
  }
  events.push(
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
  );
  const usage = { prompt_tokens: 9, completion_tokens: chunks, total_tokens: 9 + chunks };
  events.push(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
  events.push('data: [DONE]\n\n');
  return events;
}

function later(delayMs: number, run: () => void): void {
  if (delayMs > 0) setTimeout(run, delayMs);
  else run();
}

function answer(res: ServerResponse, behaviour: Behaviour, body: Record<string, unknown>): void {
  const model = typeof body.model === 'string' ? body.model : 'bench-model';
  if (body.stream !== true) {
    later(behaviour.delayMs, () => {
      const text = completion(model);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    });
    return;
  }
  const events = streamEvents(model, behaviour.chunks);
  later(behaviour.delayMs, () => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let i = 0;
    const next = (): void => {
      if (res.destroyed) return;
      const event = events[i++];
      if (event === undefined) {
        res.end();
        return;
      }
      res.write(event);
      // Content chunks are spaced; the closing events follow the last one at once.
      if (i < behaviour.chunks) setTimeout(next, behaviour.intervalMs);
      else next();
    };
    next();
  });
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const match = PATH.exec(req.url ?? '');
  if (req.method !== 'POST' || !match) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"not found"}}');
    return;
  }
  const behaviour: Behaviour = {
    delayMs: Number(match[1]),
    chunks: Number(match[2]),
    intervalMs: Number(match[3]),
  };
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      // answered as a plain completion
    }
    answer(res, behaviour, body);
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.maxRequestsPerSocket = 0;

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening ${port}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
