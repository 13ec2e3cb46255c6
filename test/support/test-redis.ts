import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A key prefix of the suite's own; every key under it is deleted when the suite ends. The bench
 * names its own and may use another server (`url`).
 */
export function createRedisNamespace(options: { url?: string; prefixStem?: string } = {}): {
  prefix: string;
  cleanup(): Promise<void>;
} {
  const url = options.url ?? TEST_REDIS_URL;
  const prefix = `${options.prefixStem ?? 'ghtest'}${randomBytes(5).toString('hex')}`;
  return {
    prefix,
    cleanup: async () => {
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        // Throttle keys are `prefix:...`, BullMQ keys `{prefix}:...`.
        for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
            if (keys.length > 0) await redis.del(...keys);
            cursor = next;
          } while (cursor !== '0');
        }
      } finally {
        redis.disconnect();
      }
    },
  };
}
