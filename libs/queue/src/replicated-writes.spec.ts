import { jest } from '@jest/globals';
import type { RedisConnectionConfig } from './redis-connections.js';
import { namesSettledPrimary, ReplicatedWrites } from './replicated-writes.js';

const standalone: RedisConnectionConfig = { REDIS_URL: 'redis://127.0.0.1:6379' };
const sentinel: RedisConnectionConfig = {
  ...standalone,
  REDIS_SENTINELS: [{ host: '127.0.0.1', port: 26379 }],
  REDIS_SENTINEL_NAME: 'gh',
};
const master = (flags: string, ip = '10.0.0.1', port = '6379') => [
  'name',
  'gh',
  'ip',
  ip,
  'port',
  port,
  'flags',
  flags,
];
const on = (acked: number, remoteAddress = '10.0.0.1', remotePort = 6379) => ({
  isCluster: false,
  wait: jest.fn((_replicas: number, _timeoutMs: number) => Promise.resolve(acked)),
  stream: { remoteAddress, remotePort },
});

describe('namesSettledPrimary', () => {
  const here = { address: '10.0.0.1', port: 6379 };
  it('is this server, named primary, with no failover under way', () => {
    expect(namesSettledPrimary(master('master'), here)).toBe(true);
    expect(namesSettledPrimary(master('master'), { address: '::ffff:10.0.0.1', port: 6379 })).toBe(
      true,
    );
  });
  it('is not another server, a failover under way, a primary seen down, or no answer', () => {
    expect(namesSettledPrimary(master('master', '10.0.0.2'), here)).toBe(false);
    expect(namesSettledPrimary(master('master', '10.0.0.1', '6380'), here)).toBe(false);
    expect(namesSettledPrimary(master('master,failover_in_progress'), here)).toBe(false);
    expect(namesSettledPrimary(master('master,s_down'), here)).toBe(false);
    expect(namesSettledPrimary(undefined, here)).toBe(false);
  });
});

describe('ReplicatedWrites', () => {
  it('asks nothing of a standalone server or a Cluster', async () => {
    const conn = on(0);
    await new ReplicatedWrites(standalone).confirm(conn);
    await new ReplicatedWrites(sentinel).confirm({ ...conn, isCluster: true });
    expect(conn.wait).not.toHaveBeenCalled();
  });

  it('behind Sentinel, confirms a write once one replica holds it', async () => {
    const ask = jest.fn(() => Promise.resolve<unknown>(master('master')));
    const conn = on(1);
    await new ReplicatedWrites(sentinel, ask).confirm(conn);
    expect(conn.wait).toHaveBeenCalledWith(1, expect.any(Number));
    expect(ask).not.toHaveBeenCalled();
  });

  it('with no replica in sync, confirms only on the primary the sentinel names, settled', async () => {
    const settled = new ReplicatedWrites(sentinel, () => Promise.resolve(master('master')));
    await settled.confirm(on(0));
    // A demoted primary still taking writes before the sentinels' +switch-master.
    await expect(settled.confirm(on(0, '10.0.0.2'))).rejects.toThrow(/not the settled primary/);
    const failingOver = new ReplicatedWrites(sentinel, () =>
      Promise.resolve(master('master,failover_in_progress')),
    );
    await expect(failingOver.confirm(on(0))).rejects.toThrow(/not the settled primary/);
    const noSentinel = new ReplicatedWrites(sentinel, () => Promise.resolve(undefined));
    await expect(noSentinel.confirm(on(0))).rejects.toThrow(/not the settled primary/);
  });

  it('refuses a write whose connection moved before its WAIT was answered', async () => {
    const conn = on(0);
    conn.wait.mockImplementation(() => {
      conn.stream = { remoteAddress: '10.0.0.2', remotePort: 6379 }; // reconnected elsewhere
      return Promise.resolve(0);
    });
    const writes = new ReplicatedWrites(sentinel, () =>
      Promise.resolve(master('master', '10.0.0.2')),
    );
    await expect(writes.confirm(conn)).rejects.toThrow(/moved/);
  });

  it('refuses a connection it cannot WAIT on', async () => {
    await expect(new ReplicatedWrites(sentinel).confirm({})).rejects.toThrow(/cannot WAIT/);
  });
});
