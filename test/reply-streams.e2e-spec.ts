import type { AppConfig } from '@gatehouse/config';
import {
  coalesceWrites,
  decodeReplyNotice,
  limitsKey,
  parseReplyText,
  REPLY_HASH_LAST,
  REPLY_LINGER_MARGIN_MS,
  REPLY_STREAM_MAXLEN,
  REPLY_STREAM_TTL_SECONDS,
  replyHashKey,
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

/** A gateway of the version before: it reads missed replies from a stream. */
const TO_GATEWAY: SyncReplyTo = { kind: 'sync', gatewayId: 'gateway-1' };

/** A sync request's replies in a real Redis: they must always expire. */
describe('reply streams', () => {
  const namespace = createRedisNamespace();
  const config = { REDIS_KEY_PREFIX: namespace.prefix, PROXY_JOB_LOCK_MS: 30_000 } as AppConfig;
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
    const sink = streams.forRequest(requestId, TO_GATEWAY, {
      slotSets: [inFlight, streamsOfIp, notASlotSet],
    });
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

  describe('to a gateway that reads a hash', () => {
    const head = { type: 'head', status: 200, contentType: 'text/event-stream' } as const;
    const to = (gatewayId: string): SyncReplyTo => ({
      kind: 'sync',
      gatewayId,
      rawChunks: true,
      repliesHashed: true,
    });
    const hashOf = (requestId: string) => replyHashKey(namespace.prefix, requestId);

    it('writes reply n under field n and the last number, raw chunks, published in order', async () => {
      const notices = await noticesTo('gateway-hash');
      try {
        const sink = streams.forRequest('hashed', to('gateway-hash'));
        const chunk = 'data: {"choices":[{"delta":{"content":"a \\"quoted\\" word"}}]}\n\n';
        await sink.sendAll?.([head, { type: 'chunk', data: chunk }]);
        await sink.send({ type: 'end' });

        const fields = await redis.hgetall(hashOf('hashed'));
        expect(fields).toEqual({
          1: JSON.stringify(head),
          2: `c${chunk}`, // not escaped into JSON
          3: JSON.stringify({ type: 'end' }),
          [REPLY_HASH_LAST]: '3',
        });
        expect(await redis.exists(replyStreamKey(namespace.prefix, 'hashed'))).toBe(0);
        expect((await notices.first(3)).map((notice) => decodeReplyNotice(notice))).toEqual([
          { requestId: 'hashed', seq: 1, reply: head },
          { requestId: 'hashed', seq: 2, reply: { type: 'chunk', data: chunk } },
          { requestId: 'hashed', seq: 3, reply: { type: 'end' } },
        ]);
        expect(await streams.sentCount('hashed', to('gateway-hash'))).toBe(3);
        expect(await streams.sentCount('never-sent', to('gateway-hash'))).toBe(0);
      } finally {
        notices.stop();
      }
    });

    it('keeps a TTL on every write, and after the last reply only while someone may read it', async () => {
      const key = hashOf('hash-ttl');
      const fullTtl = REPLY_STREAM_TTL_SECONDS * 1000;
      // The default deadline: the upstream's whole budget (300 s) and the queue's grace after.
      const sink = streams.forRequest('hash-ttl', to('gateway-ttl'), {
        deadline: Date.now() + 305_000,
      });
      await sink.send(head);
      expect(await redis.pttl(key)).toBeGreaterThan(fullTtl - 5_000);
      // The hash expired mid-request (here: removed); the next chunk recreates it, with a TTL.
      await redis.del(key);
      await sink.send({ type: 'chunk', data: 'data: {}\n\n' });
      expect(await redis.hget(key, REPLY_HASH_LAST)).toBe('2');
      expect(await redis.pttl(key)).toBeGreaterThan(fullTtl - 5_000);
      // After the last: until a job whose worker died now would surely have been taken over.
      await sink.send({ type: 'end' });
      const takenOver = 2 * config.PROXY_JOB_LOCK_MS + REPLY_LINGER_MARGIN_MS;
      expect(await redis.pttl(key)).toBeGreaterThan(takenOver - 5_000);
      expect(await redis.pttl(key)).toBeLessThanOrEqual(takenOver);

      // A near deadline: no longer than shortly past it.
      const deadline = Date.now() + 10_000;
      const soon = streams.forRequest('hash-soon', to('gateway-ttl'), { deadline });
      await soon.send({ type: 'result', status: 200, contentType: 'application/json', body: '{}' });
      const left = await redis.pttl(hashOf('hash-soon'));
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(deadline + REPLY_LINGER_MARGIN_MS - Date.now() + 50);

      // An answer after its deadline (nobody waits for it) stays a few seconds only.
      const late = streams.forRequest('hash-late', to('gateway-ttl'), {
        deadline: Date.now() - 60_000,
      });
      await late.send({ type: 'result', status: 200, contentType: 'application/json', body: '{}' });
      const lateLeft = await redis.pttl(hashOf('hash-late'));
      expect(lateLeft).toBeGreaterThan(0);
      expect(lateLeft).toBeLessThanOrEqual(5_000);
    });

    it('does not write an entry twice: a retaken run writes after what is there, and is told', async () => {
      const notices = await noticesTo('gateway-again');
      try {
        const firstRun = streams.forRequest('hash-again', to('gateway-again'));
        await firstRun.sendAll?.([head, { type: 'chunk', data: 'data: 1\n\n' }]);
        // A second run that believes one reply was sent: entry 2 is there, entry 3 is not.
        const secondRun = streams.forRequest('hash-again', to('gateway-again'), { alreadySent: 1 });
        await expect(
          secondRun.sendAll?.([
            { type: 'chunk', data: 'data: other\n\n' },
            { type: 'chunk', data: 'data: 3\n\n' },
          ]),
        ).rejects.toThrow(/already written/);
        const fields = await redis.hgetall(hashOf('hash-again'));
        expect(fields['2']).toBe('cdata: 1\n\n');
        expect(fields['3']).toBe('cdata: 3\n\n');
        expect(fields[REPLY_HASH_LAST]).toBe('3');
        expect(await notices.first(4)).toHaveLength(4); // published all the same
      } finally {
        notices.stop();
      }
    });

    it('holds at most the last REPLY_STREAM_MAXLEN replies', async () => {
      const sink = streams.forRequest('hash-long', to('gateway-long'));
      const batch = Array.from({ length: 1_000 }, () => ({ type: 'chunk', data: 'x' }) as const);
      for (let sent = 0; sent < REPLY_STREAM_MAXLEN; sent += batch.length) {
        await sink.sendAll?.(batch);
      }
      await sink.send({ type: 'end' });
      const key = hashOf('hash-long');
      expect(await redis.hlen(key)).toBe(REPLY_STREAM_MAXLEN + 1); // and `last`
      expect(await redis.hexists(key, '1')).toBe(0);
      expect(await redis.hexists(key, '2')).toBe(1);
      expect(await redis.hget(key, String(REPLY_STREAM_MAXLEN + 1))).toBe('{"type":"end"}');
    });
  });
});

async function waitUntilReady(client: Redis): Promise<void> {
  for (let i = 0; i < 100 && client.status !== 'ready'; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
}
