/**
 * The front half of the bare relay: the design's own floor with HTTP at both ends and nothing
 * else (no auth, limits, validation, headers, audit or logging). A plain `node:http` server takes
 * a JSON POST, puts it on a BullMQ queue (`Queue.add`, writes coalesced per turn as the
 * gateway's producer's are) and answers when the relay worker publishes the upstream's reply,
 * a stream's pieces as each arrives.
 * Whatever Gatehouse costs beyond this pair is its own work; this pair's cost is Node's,
 * BullMQ's and Redis's.
 *
 * The request path is the upstream path (the mock's, e.g. /mock/0/0/0/v1/chat/completions).
 * Env: REDIS_URL, BENCH_PREFIX, RELAY_QUEUE. Prints `listening <port>`.
 */
import { coalesceWrites } from '@gatehouse/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeOnSignal } from './close-on-signal.js';
import {
  RELAY_STREAM_END,
  RELAY_STREAM_PIECE,
  type RelayJob,
  relayReplyChannel,
} from './relay-contract.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.BENCH_PREFIX ?? 'ghbench';
const queueName = process.env.RELAY_QUEUE ?? 'bench-relay';

const producer = new Redis(url, { maxRetriesPerRequest: null });
coalesceWrites(producer);
const queue = new Queue<RelayJob>(queueName, { connection: producer, prefix: `{${prefix}}` });
const waiting = new Map<string, ServerResponse>();
const replies = new Redis(url);
await replies.subscribe(relayReplyChannel(prefix));
// See relay-contract.ts: a whole answer, or a stream's pieces and its end.
replies.on('message', (_channel: string, message: string) => {
  const idEnd = message.indexOf(' ');
  const id = message.slice(0, idEnd);
  const res = waiting.get(id);
  if (!res) return;
  const kind = message.slice(idEnd + 1, idEnd + 2);
  if (kind === RELAY_STREAM_PIECE) {
    if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(message.slice(idEnd + 3));
    return;
  }
  waiting.delete(id);
  if (kind === RELAY_STREAM_END) {
    res.end();
    return;
  }
  const statusEnd = message.indexOf(' ', idEnd + 1);
  res.writeHead(Number(message.slice(idEnd + 1, statusEnd)), {
    'content-type': 'application/json',
  });
  res.end(message.slice(statusEnd + 1));
});

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const id = randomUUID();
    waiting.set(id, res);
    const job: RelayJob = {
      id,
      path: req.url ?? '/',
      body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
    };
    queue.add('relay', job, { removeOnComplete: true, removeOnFail: true }).catch(() => {
      waiting.delete(id);
      res.writeHead(503).end();
    });
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});

closeOnSignal(() => {
  server.close();
  return queue.close().finally(() => replies.disconnect());
});
