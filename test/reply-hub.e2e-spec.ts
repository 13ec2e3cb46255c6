import type { AppConfig } from '@gatehouse/config';
import {
  coalesceWrites,
  type ProxyReply,
  REPLY_HASH_LAST,
  replyHashKey,
  type SyncReplyTo,
} from '@gatehouse/queue';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ReplyHub, ReplyReadError } from '../apps/gateway/src/proxy/reply-hub.service.js';
import { ReplyStreams } from '../apps/proxy-worker/src/replies/reply-streams.js';
import { createRedisNamespace, TEST_REDIS_URL } from './support/test-redis.js';

/**
 * A gateway's reply hub on a real Redis. One that missed a request's notices (here: published to
 * another gateway's channel) reads the replies Redis holds, after a quiet second: from the hash,
 * or from the stream a worker of the version before writes.
 */
describe('reply hub', () => {
  const namespace = createRedisNamespace();
  const config = {
    REDIS_KEY_PREFIX: namespace.prefix,
    REDIS_URL: TEST_REDIS_URL,
    PROXY_JOB_LOCK_MS: 30_000,
  } as AppConfig;
  let redis: Redis;
  let hub: ReplyHub;
  let worker: ReplyStreams;
  const head = { type: 'head', status: 200, contentType: 'text/event-stream' } as const;
  const chunk = { type: 'chunk', data: 'data: {}\n\n' } as const;
  const far = () => Date.now() + 30_000;

  const warnings = jest.spyOn(Logger.prototype, 'warn');

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    coalesceWrites(redis);
    hub = new ReplyHub(redis, config);
    await hub.onModuleInit();
    worker = new ReplyStreams(redis, config);
  });

  afterAll(async () => {
    warnings.mockRestore();
    hub.onApplicationShutdown();
    redis.disconnect();
    await namespace.cleanup();
  });

  /** Every reply of the channel until the last, or the error it failed with. */
  async function drain(requestId: string): Promise<(ProxyReply | Error)[]> {
    const channel = hub.open(requestId, far());
    const seen: (ProxyReply | Error)[] = [];
    try {
      for (;;) {
        const reply = await channel.next();
        seen.push(reply);
        if (reply.type === 'end' || reply.type === 'result') return seen;
      }
    } catch (err) {
      seen.push(err as Error);
      return seen;
    } finally {
      channel.close();
    }
  }

  it('starts without saying Redis is away when it is not', () => {
    expect(warnings.mock.calls.map(([message]) => String(message))).not.toContain(
      'reply channel waits for Redis',
    );
  });

  it('reads replies whose notices it missed from the hash', async () => {
    const elsewhere: SyncReplyTo = {
      kind: 'sync',
      gatewayId: 'another-gateway',
      rawChunks: true,
      repliesHashed: true,
    };
    const replies = drain('missed-hashed');
    await worker.forRequest('missed-hashed', elsewhere).sendAll?.([head, chunk, { type: 'end' }]);
    expect(await replies).toEqual([head, chunk, { type: 'end' }]);
  });

  it('reads them from the stream of a worker of the version before', async () => {
    const elsewhere: SyncReplyTo = { kind: 'sync', gatewayId: 'another-gateway' };
    const replies = drain('missed-streamed');
    await worker.forRequest('missed-streamed', elsewhere).sendAll?.([head, chunk, { type: 'end' }]);
    expect(await replies).toEqual([head, chunk, { type: 'end' }]);
  });

  it('fails the request when replies it did not read were trimmed away', async () => {
    const key = (id: string) => replyHashKey(namespace.prefix, id);
    // Entries 1-3 gone, 4 and 5 left.
    await redis.hset(key('gap'), '4', JSON.stringify(chunk), '5', '{"type":"end"}');
    await redis.hset(key('gap'), REPLY_HASH_LAST, '5');
    // Nothing left of the first thousand: none to read, yet more written.
    await redis.hset(key('all-gone'), '1500', '{"type":"end"}', REPLY_HASH_LAST, '1500');
    for (const id of ['gap', 'all-gone']) {
      const [failure] = await drain(id);
      expect(failure).toBeInstanceOf(ReplyReadError);
      expect((failure as Error).message).toMatch(/trimmed/);
    }
  });
});
