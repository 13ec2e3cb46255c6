import type { AppConfig } from '@gatehouse/config';
import {
  coalesceWrites,
  decodeReplyNotice,
  limitsKey,
  parseReplyText,
  REPLY_STREAM_TTL_SECONDS,
  replyNotifyChannel,
  replyStreamKey,
  slotSetKey,
  type SyncReplyTo,
} from '@gatehouse/queue';
import { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplyStreams } from '../apps/proxy-worker/src/replies/reply-streams.js';
import { startOwnRedisServer } from './support/redis-server.js';
import { createRedisNamespace, TEST_REDIS_URL } from './support/test-redis.js';

const TO_GATEWAY: SyncReplyTo = { kind: 'sync', gatewayId: 'gateway-1' };

/** A sync request's reply stream in a real Redis: it must always expire. */
describe('reply streams', () => {
  const namespace = createRedisNamespace();
  const config = { REDIS_KEY_PREFIX: namespace.prefix } as AppConfig;
  let redis: Redis;
  let streams: ReplyStreams;

  beforeAll(() => {
    // As proxy-worker's command connection: writes of one turn coalesced.
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    coalesceWrites(redis);
    streams = new ReplyStreams(redis, config);
  });

  afterAll(async () => {
    redis.disconnect();
    await namespace.cleanup();
  });

  /** The notices published to a gateway, as its subscriber receives them. */
  async function noticesTo(gatewayId: string) {
    const subscriber = new Redis(TEST_REDIS_URL);
    const received: string[] = [];
    await subscriber.subscribe(replyNotifyChannel(namespace.prefix, gatewayId));
    subscriber.on('message', (_channel: string, message: string) => received.push(message));
    return {
      /** The notices received so far, after waiting up to half a second for `count`. */
      async first(count: number): Promise<string[]> {
        for (let i = 0; i < 50 && received.length < count; i++)
          await new Promise((r) => setTimeout(r, 10));
        return received;
      },
      stop: () => subscriber.disconnect(),
    };
  }

  it('keeps a TTL on the stream even when it expired between two replies', async () => {
    const requestId = 'ttl-every-write';
    const key = replyStreamKey(namespace.prefix, requestId);
    const sink = streams.forRequest(requestId, TO_GATEWAY);
    await sink.send({ type: 'head', status: 200, contentType: 'text/event-stream' });
    const first = await redis.ttl(key);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(REPLY_STREAM_TTL_SECONDS);
    // The stream expired mid-request (here: removed); the next chunk recreates it.
    await redis.del(key);
    await sink.send({ type: 'chunk', data: 'data: {}\n\n' });
    expect(await redis.xlen(key)).toBe(1);
    expect(await redis.ttl(key)).toBeGreaterThan(0);
  });

  it('frees the request from its slot sets with the last reply, and says so; nothing else', async () => {
    const requestId = 'frees-slots';
    const inFlight = slotSetKey(namespace.prefix, 'inflight:key', 'k1');
    const streamsOfIp = slotSetKey(namespace.prefix, 'streams:ip', '10.0.0.1');
    // A job's data comes through Redis: a key that is no slot set is not touched.
    const notASlotSet = limitsKey(namespace.prefix, 'throttle:ip:10.0.0.1');
    const leaseEnd = Date.now() + 60_000;
    for (const set of [inFlight, streamsOfIp, notASlotSet]) {
      await redis.zadd(set, leaseEnd, requestId, leaseEnd, 'another-request');
    }
    const sink = streams.forRequest(requestId, TO_GATEWAY, 0, [inFlight, streamsOfIp, notASlotSet]);
    const members = (set: string) => redis.zrange(set, 0, -1);

    await sink.send({ type: 'head', status: 200, contentType: 'text/event-stream' });
    await sink.send({ type: 'chunk', data: 'data: {}\n\n' });
    expect(await members(inFlight)).toContain(requestId);
    await sink.send({ type: 'end' });
    expect(await members(inFlight)).toEqual(['another-request']);
    expect(await members(streamsOfIp)).toEqual(['another-request']);
    expect(await members(notASlotSet)).toEqual(['another-request', requestId].sort());
    const replies = await redis.xrange(replyStreamKey(namespace.prefix, requestId), '-', '+');
    const written = replies.map(([, fields]) => JSON.parse(fields[1] ?? '{}') as object);
    expect(written[0]).not.toHaveProperty('slotsFreed');
    expect(written[1]).not.toHaveProperty('slotsFreed');
    expect(written[2]).toEqual({ type: 'end', slotsFreed: true });

    // Without slot sets (an async job, a job from an older gateway) a last reply is as it was.
    const plain = streams.forRequest('no-slots', TO_GATEWAY);
    await plain.send({ type: 'end' });
    const [[, fields] = ['', []]] = await redis.xrange(
      replyStreamKey(namespace.prefix, 'no-slots'),
      '-',
      '+',
    );
    expect(JSON.parse(fields[1] ?? '{}')).toEqual({ type: 'end' });
  });

  it('writes chunks raw to a gateway that reads them so, in the stream and the notice alike', async () => {
    const to: SyncReplyTo = { kind: 'sync', gatewayId: 'gateway-raw', rawChunks: true };
    const notices = await noticesTo(to.gatewayId);
    try {
      const sink = streams.forRequest('raw-chunks', to);
      const chunk = 'data: {"choices":[{"delta":{"content":"a \\"quoted\\" word"}}]}\n\n';
      await sink.send({ type: 'head', status: 200, contentType: 'text/event-stream' });
      await sink.send({ type: 'chunk', data: chunk });
      await sink.send({ type: 'end' });

      const entries = await redis.xrange(replyStreamKey(namespace.prefix, 'raw-chunks'), '-', '+');
      const texts = entries.map(([, fields]) => fields[1] ?? '');
      expect(texts[1]).toBe(`c${chunk}`); // not escaped into JSON
      expect(texts.map(parseReplyText)).toEqual([
        { type: 'head', status: 200, contentType: 'text/event-stream' },
        { type: 'chunk', data: chunk },
        { type: 'end' },
      ]);
      const received = await notices.first(3);
      expect(received.map((notice) => decodeReplyNotice(notice)?.reply)).toEqual(
        texts.map(parseReplyText),
      );
      expect(received[1]).toBe(`raw-chunks 2 c${chunk}`);
    } finally {
      notices.stop();
    }
  });

  it('writes replies sent together as consecutive entries, and publishes them in order', async () => {
    const to: SyncReplyTo = { kind: 'sync', gatewayId: 'gateway-together', rawChunks: true };
    const notices = await noticesTo(to.gatewayId);
    try {
      const sink = streams.forRequest('together', to);
      const head = { type: 'head', status: 200, contentType: 'text/event-stream' } as const;
      const first = { type: 'chunk', data: 'data: first\n\n' } as const;
      await sink.sendAll?.([head, first]);
      await sink.send({ type: 'end' });

      const key = replyStreamKey(namespace.prefix, 'together');
      const entries = await redis.xrange(key, '-', '+');
      expect(entries.map(([id]) => id)).toEqual(['0-1', '0-2', '0-3']);
      expect(entries.map(([, fields]) => parseReplyText(fields[1] ?? ''))).toEqual([
        head,
        first,
        { type: 'end' },
      ]);
      expect(await redis.ttl(key)).toBeGreaterThan(0);
      expect((await notices.first(3)).map((notice) => decodeReplyNotice(notice))).toEqual([
        { requestId: 'together', seq: 1, reply: head },
        { requestId: 'together', seq: 2, reply: first },
        { requestId: 'together', seq: 3, reply: { type: 'end' } },
      ]);
    } finally {
      notices.stop();
    }
  });

  it('retries a send under the same entry id, and takes an entry its lost try wrote as sent', async () => {
    // Persistent, so what was written survives the restarts.
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-reply-streams-'));
    const own = await startOwnRedisServer({ appendOnlyDir: dir });
    // As the worker's command connection: no offline queue, one try.
    const client = new Redis(own.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
    });
    client.on('error', () => undefined);
    try {
      await waitUntilReady(client);
      const ownStreams = new ReplyStreams(client, config);
      const key = replyStreamKey(namespace.prefix, 'retried');
      const sink = ownStreams.forRequest('retried', TO_GATEWAY);
      const head = { type: 'head', status: 200, contentType: 'text/event-stream' } as const;

      await own.kill();
      await expect(sink.send(head)).rejects.toThrow();
      await own.start();
      await waitUntilReady(client);
      await sink.send(head); // the retry: entry 0-1, not 0-2 (a gap the gateway cannot fill)
      expect((await client.xrange(key, '-', '+')).map(([id]) => id)).toEqual(['0-1']);

      // A try that landed although its answer was lost: the entry is there, the retry is a no-op.
      await own.kill();
      await expect(sink.send({ type: 'chunk', data: 'data: {}\n\n' })).rejects.toThrow();
      await own.start();
      await waitUntilReady(client);
      await client.xadd(key, '0-2', 'r', '{"type":"chunk","data":"data: {}\\n\\n"}');
      await sink.send({ type: 'chunk', data: 'data: {}\n\n' });

      // Replies sent together are written together: a lost try that landed landed whole.
      const pair = [
        { type: 'chunk', data: 'data: 3\n\n' },
        { type: 'chunk', data: 'data: 4\n\n' },
      ] as const;
      await own.kill();
      await expect(sink.sendAll?.(pair)).rejects.toThrow();
      await own.start();
      await waitUntilReady(client);
      await client.xadd(key, '0-3', 'r', 'cdata: 3\n\n');
      await client.xadd(key, '0-4', 'r', 'cdata: 4\n\n');
      await sink.sendAll?.(pair);
      await sink.send({ type: 'end' });
      expect((await client.xrange(key, '-', '+')).map(([id]) => id)).toEqual([
        '0-1',
        '0-2',
        '0-3',
        '0-4',
        '0-5',
      ]);
    } finally {
      client.disconnect();
      await own.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function waitUntilReady(client: Redis): Promise<void> {
  for (let i = 0; i < 100 && client.status !== 'ready'; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
}
