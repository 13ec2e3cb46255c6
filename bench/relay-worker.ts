/**
 * The worker half of the bare relay (see relay-front.ts): a BullMQ worker with proxy-worker's
 * default concurrency that POSTs each job's body to the upstream with undici (as proxy-worker
 * does) and publishes the answer to the front, on a connection whose writes are coalesced per
 * turn (as proxy-worker's replies are): read whole, or for a stream (`"stream": true` in the
 * body and a 200) piece by piece as the upstream sends it, each publish awaited before the next
 * read, as proxy-worker sends each piece of a stream.
 *
 * Env: REDIS_URL, BENCH_PREFIX, RELAY_QUEUE, RELAY_UPSTREAM (the mock's origin),
 * RELAY_CONCURRENCY. Prints `ready` once it consumes.
 */
import { coalesceWrites } from '@gatehouse/queue';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { request } from 'undici';
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
const upstream = process.env.RELAY_UPSTREAM ?? 'http://127.0.0.1';
const concurrency = Number(process.env.RELAY_CONCURRENCY ?? 1024);
const channel = relayReplyChannel(prefix);

const publisher = new Redis(url, { maxRetriesPerRequest: 1 });
coalesceWrites(publisher);
const worker = new Worker<RelayJob>(
  queueName,
  async (job) => {
    const res = await request(`${upstream}${job.data.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(job.data.body),
    });
    const { id, body } = job.data;
    if (res.statusCode === 200 && (body as { stream?: unknown }).stream === true) {
      const decoder = new TextDecoder();
      try {
        for await (const piece of res.body as AsyncIterable<Buffer>) {
          const text = decoder.decode(piece, { stream: true });
          if (text) await publisher.publish(channel, `${id} ${RELAY_STREAM_PIECE} ${text}`);
        }
      } finally {
        // Also when the upstream breaks off: the client's response ends rather than hangs.
        await publisher.publish(channel, `${id} ${RELAY_STREAM_END}`);
      }
      return;
    }
    const text = await res.body.text();
    await publisher.publish(channel, `${id} ${res.statusCode} ${text}`);
  },
  {
    connection: new Redis(url, { maxRetriesPerRequest: null }),
    prefix: `{${prefix}}`,
    concurrency,
  },
);
worker.on('error', (err) => process.stderr.write(`relay worker: ${err.message}\n`));

await worker.waitUntilReady();
process.stdout.write('ready\n');

closeOnSignal(() => worker.close().finally(() => publisher.disconnect()));
