/**
 * The trivial consumer of the bare BullMQ round trip (the floor of Gatehouse's design): takes a
 * job and hands the result back to its producer with one LPUSH on the job's reply key. Runs as
 * its own process, like proxy-worker. Prints `ready` once it consumes.
 *
 * Env: REDIS_URL, BENCH_PREFIX (key prefix), FLOOR_QUEUE, FLOOR_CONCURRENCY.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { closeOnSignal } from './close-on-signal.js';

type FloorJob = { replyKey: string; payload: unknown };

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.BENCH_PREFIX ?? 'ghbench';
const queueName = process.env.FLOOR_QUEUE ?? 'bench-floor';
const concurrency = Number(process.env.FLOOR_CONCURRENCY ?? 32);

const replies = new Redis(url, { maxRetriesPerRequest: 1 });
const worker = new Worker<FloorJob>(
  queueName,
  async (job) => {
    await replies.lpush(job.data.replyKey, 'ok');
  },
  {
    connection: new Redis(url, { maxRetriesPerRequest: null }),
    prefix: `{${prefix}}`,
    concurrency,
  },
);
worker.on('error', (err) => process.stderr.write(`floor worker: ${err.message}\n`));

await worker.waitUntilReady();
process.stdout.write('ready\n');

closeOnSignal(() => worker.close().finally(() => replies.disconnect()));
