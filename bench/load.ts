/**
 * Load generators, all in the bench process: autocannon for JSON requests, a small undici
 * client for streams (per-chunk timings), and the driver of the bare BullMQ round trip.
 */
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { median, percentile, sleep } from './stats.js';

export type HttpTarget = { url: string; headers: Record<string, string>; body: string };

export type LoadResult = {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
};

/**
 * autocannon for `seconds` at `connections` concurrency. Latencies come from its per-response
 * event (sub-millisecond precision; its own histogram keeps whole milliseconds).
 */
export function cannon(
  target: HttpTarget,
  connections: number,
  seconds: number,
  keepSamples = true,
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const samples: number[] = [];
    const instance = autocannon(
      {
        url: target.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...target.headers },
        body: target.body,
        connections,
        duration: seconds,
        timeout: 30,
      },
      (err, result) => {
        if (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        const ok = keepSamples ? samples.length : result['2xx'];
        resolve({
          rps: ok / seconds,
          p50: keepSamples ? percentile(samples, 50) : result.latency.p50,
          p99: keepSamples ? percentile(samples, 99) : result.latency.p99,
          requests: result.requests.total,
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
        });
      },
    );
    if (keepSamples) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
      });
    }
  });
}

export type StreamResult = {
  rps: number;
  /** Medians over all streams, ms since the request was sent. */
  firstChunkP50: number;
  firstChunkP99: number;
  lastChunkP50: number;
  /** Median of (last − first) per stream: ~ (chunks − 1) × spacing when nothing is batched. */
  spreadP50: number;
  /** Median number of body reads per stream (how many pieces arrived). */
  readsP50: number;
  streams: number;
  errors: number;
};

/** `concurrency` loops, each sending stream requests back to back for `seconds`. */
export async function streamLoad(
  target: HttpTarget,
  concurrency: number,
  seconds: number,
): Promise<StreamResult> {
  const agent = new Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const first: number[] = [];
  const last: number[] = [];
  const spread: number[] = [];
  const reads: number[] = [];
  let errors = 0;
  const start = performance.now();
  const stopAt = start + seconds * 1000;

  const once = async (): Promise<void> => {
    const t0 = performance.now();
    const res = await request(target.url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', ...target.headers },
      body: target.body,
    });
    let tFirst = Number.NaN;
    let tLast = Number.NaN;
    let n = 0;
    let tail = '';
    for await (const piece of res.body) {
      const now = performance.now() - t0;
      const text = (piece as Buffer).toString('utf8');
      if (n === 0) tFirst = now;
      n++;
      tLast = now;
      tail = (tail + text).slice(-64);
    }
    if (res.statusCode !== 200 || !tail.includes('[DONE]')) {
      errors++;
      return;
    }
    first.push(tFirst);
    last.push(tLast);
    spread.push(tLast - tFirst);
    reads.push(n);
  };

  const loop = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      try {
        await once();
      } catch {
        errors++;
        await sleep(10);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - start) / 1000;
  await agent.close();
  return {
    rps: first.length / elapsed,
    firstChunkP50: median(first),
    firstChunkP99: percentile(first, 99),
    lastChunkP50: median(last),
    spreadP50: median(spread),
    readsP50: median(reads),
    streams: first.length,
    errors,
  };
}

export type FloorResult = { rps: number; p50: number; p99: number; jobs: number; errors: number };

/**
 * The bare BullMQ round trip: `concurrency` driver loops, each `Queue.add` then BLPOP on the
 * job's own reply key over a dedicated connection, while the floor worker LPUSHes the result.
 */
export async function floorLoad(
  redisUrl: string,
  prefix: string,
  queueName: string,
  concurrency: number,
  seconds: number,
  payload: unknown,
): Promise<FloorResult> {
  const queue = new Queue(queueName, {
    connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
    prefix: `{${prefix}}`,
  });
  await queue.waitUntilReady();
  const waiters = Array.from(
    { length: concurrency },
    () => new Redis(redisUrl, { maxRetriesPerRequest: null }),
  );
  const samples: number[] = [];
  let errors = 0;
  const start = performance.now();
  const stopAt = start + seconds * 1000;

  const loop = async (conn: Redis): Promise<void> => {
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      const replyKey = `${prefix}:floor-reply:${randomUUID()}`;
      try {
        await queue.add(
          'round-trip',
          { replyKey, payload },
          { removeOnComplete: true, removeOnFail: true },
        );
        const popped = await conn.blpop(replyKey, 10);
        if (popped) samples.push(performance.now() - t0);
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(waiters.map(loop));
  const elapsed = (performance.now() - start) / 1000;
  await queue.close();
  for (const w of waiters) w.disconnect();
  return {
    rps: samples.length / elapsed,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    jobs: samples.length,
    errors,
  };
}

/** Resident set size of a process in KiB, from /proc (NaN once it is gone). */
export function rssKiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (NaN once gone). */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/**
 * Read and write system calls (read(2), write(2), writev(2), sendmsg(2) and kin) a process has
 * made so far, from /proc/<pid>/io (NaN once gone or where the kernel does not count them).
 */
export function syscallCount(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const reads = /^syscr:\s+(\d+)/m.exec(io);
    const writes = /^syscw:\s+(\d+)/m.exec(io);
    return reads && writes ? Number(reads[1]) + Number(writes[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Linux reports /proc CPU times in clock ticks, 100 per second on every mainstream build. */
const CLOCK_TICKS = 100;

/** Samples the RSS of each named pid every second until `stop` is called. */
export function sampleRss(pids: Record<string, number | undefined>): {
  stop(): Record<string, number[]>;
} {
  const series: Record<string, number[]> = Object.fromEntries(
    Object.keys(pids).map((k) => [k, []]),
  );
  const take = () => {
    for (const [name, pid] of Object.entries(pids)) series[name]?.push(rssKiB(pid));
  };
  take();
  const timer = setInterval(take, 1_000);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return series;
    },
  };
}
