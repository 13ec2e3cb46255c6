import { coalesceWrites, createRedisClient, RedisRole } from '@gatehouse/queue';
import { Redis } from 'ioredis';
import type { Socket } from 'node:net';
import { createRedisNamespace, TEST_REDIS_URL } from './support/test-redis.js';

/** How a socket's writes reached the kernel: one call per write, or several chunks in one. */
function countWrites(socket: Socket): { single: number; batched: number[] } {
  const counts = { single: 0, batched: [] as number[] };
  const single = socket._write.bind(socket);
  const batched = socket._writev?.bind(socket);
  socket._write = (chunk, encoding, cb) => {
    counts.single++;
    single(chunk, encoding, cb);
  };
  socket._writev = (chunks, cb) => {
    counts.batched.push(chunks.length);
    batched?.(chunks, cb);
  };
  return counts;
}

async function ready(client: Redis): Promise<Socket> {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client.stream;
}

/** Commands issued in one turn of the event loop leave in one socket write, in a real Redis. */
describe('coalesced Redis writes', () => {
  const namespace = createRedisNamespace();
  const key = (n: number) => `${namespace.prefix}:coalesced:${n}`;
  let client: Redis;

  beforeEach(() => {
    client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    coalesceWrites(client);
  });

  afterEach(() => client.disconnect());
  afterAll(() => namespace.cleanup());

  it('sends the commands of one turn in one write, in order, with their own answers', async () => {
    const writes = countWrites(await ready(client));
    const sets = Array.from({ length: 20 }, (_, n) => client.set(key(n), `value-${n}`));
    const overwrite = client.set(key(3), 'last');
    const read = client.mget(key(0), key(3), key(19));
    await Promise.all([...sets, overwrite]);
    expect(await read).toEqual(['value-0', 'last', 'value-19']);
    expect(writes).toEqual({ single: 0, batched: [22] });
  });

  it('sends a command of a later turn without waiting for company', async () => {
    const writes = countWrites(await ready(client));
    await client.set(key(100), 'a');
    await client.get(key(100));
    expect(writes.single).toBe(2);
    expect(writes.batched).toEqual([]);
  });

  it('coalesces on the socket of every reconnection too', async () => {
    const first = await ready(client);
    client.disconnect(true); // reconnect
    await new Promise((resolve) => client.once('ready', resolve));
    const second = client.stream;
    expect(second).not.toBe(first);
    const writes = countWrites(second);
    await Promise.all([client.set(key(200), 'x'), client.incr(key(201)), client.get(key(200))]);
    expect(writes).toEqual({ single: 0, batched: [3] });
  });

  it('is what the command role gets, and not the blocking roles', async () => {
    const config = { REDIS_URL: TEST_REDIS_URL };
    const command = createRedisClient(config, RedisRole.command) as Redis;
    const worker = createRedisClient(config, RedisRole.queueWorker) as Redis;
    try {
      await command.connect();
      const commandWrites = countWrites(await ready(command));
      const workerWrites = countWrites(await ready(worker));
      await Promise.all([command.get(key(300)), command.get(key(301))]);
      await Promise.all([worker.get(key(300)), worker.get(key(301))]);
      expect(commandWrites).toEqual({ single: 0, batched: [2] });
      expect(workerWrites).toEqual({ single: 2, batched: [] });
    } finally {
      command.disconnect();
      worker.disconnect();
    }
  });
});
