import type { AppConfig } from '@gatehouse/config';
import { REPLY_STREAM_TTL_SECONDS, replyStreamKey } from '@gatehouse/queue';
import { Redis } from 'ioredis';
import { ReplyStreams } from '../apps/proxy-worker/src/replies/reply-streams.js';
import { createRedisNamespace, TEST_REDIS_URL } from './support/test-redis.js';

/** A sync request's reply stream in a real Redis: it must always expire. */
describe('reply streams', () => {
  const namespace = createRedisNamespace();
  const config = { REDIS_KEY_PREFIX: namespace.prefix } as AppConfig;
  let redis: Redis;
  let streams: ReplyStreams;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
    streams = new ReplyStreams(redis, config);
  });

  afterAll(async () => {
    redis.disconnect();
    await namespace.cleanup();
  });

  it('keeps a TTL on the stream even when it expired between two replies', async () => {
    const requestId = 'ttl-every-write';
    const key = replyStreamKey(namespace.prefix, requestId);
    const sink = streams.forRequest(requestId, 'gateway-1');
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
});
