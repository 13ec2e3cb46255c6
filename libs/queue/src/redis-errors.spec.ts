import { Redis } from 'ioredis';
import { isRedisUnavailableError } from './redis-errors.js';

describe('isRedisUnavailableError', () => {
  it('recognises what ioredis throws for a command while the server is down', async () => {
    // Nothing listens on port 1; no offline queue and one try, as the apps' command connections.
    const redis = new Redis({
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    await redis.connect().catch(() => undefined);
    const err = await redis.get('k').catch((e: unknown) => e);
    expect(isRedisUnavailableError(err)).toBe(true);
    redis.disconnect();
  });

  it('does not take a refused command or another error for an outage', () => {
    expect(isRedisUnavailableError(new Error('ERR wrong number of arguments'))).toBe(false);
    expect(isRedisUnavailableError(new Error('NOSCRIPT No matching script'))).toBe(false);
    expect(isRedisUnavailableError('Connection is closed.')).toBe(false);
  });

  it('recognises a lost connection by its network error code', () => {
    expect(
      isRedisUnavailableError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })),
    ).toBe(true);
  });
});
