import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';

describe('Redis topology variables', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-config-'));
    env = { DEV_SECRETS_FILE: join(dir, 'dev-secrets.json') };
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The messages loadConfig refuses `extra` with; fails the test when it accepts it. */
  function problemsFor(extra: Record<string, string>): string[] {
    try {
      loadConfig('gateway', { ...env, ...extra });
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error('loadConfig accepted the configuration');
  }

  it('leaves both topologies unset by default (one server at REDIS_URL)', () => {
    const { config } = loadConfig('gateway', env);
    expect(config.REDIS_SENTINELS).toBeUndefined();
    expect(config.REDIS_CLUSTER_NODES).toBeUndefined();
  });

  it('parses a sentinel list, defaulting the port to 26379, IPv6 in brackets', () => {
    const { config } = loadConfig('gateway', {
      ...env,
      REDIS_SENTINELS: 'sentinel-a:26380, 10.0.0.7 ,[::1]:26381',
      REDIS_SENTINEL_NAME: 'gatehouse-primary',
    });
    expect(config.REDIS_SENTINELS).toEqual([
      { host: 'sentinel-a', port: 26380 },
      { host: '10.0.0.7', port: 26379 },
      { host: '::1', port: 26381 },
    ]);
    expect(config.REDIS_SENTINEL_NAME).toBe('gatehouse-primary');
  });

  it('parses cluster nodes, defaulting the port to 6379', () => {
    const { config } = loadConfig('gateway', {
      ...env,
      REDIS_CLUSTER_NODES: 'redis-1:7000,redis-2',
    });
    expect(config.REDIS_CLUSTER_NODES).toEqual([
      { host: 'redis-1', port: 7000 },
      { host: 'redis-2', port: 6379 },
    ]);
  });

  it('refuses a sentinel list without the primary name', () => {
    expect(problemsFor({ REDIS_SENTINELS: 'sentinel:26379' })).toEqual([
      expect.stringMatching(/^REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS/),
    ]);
  });

  it('refuses a primary name without sentinels', () => {
    expect(problemsFor({ REDIS_SENTINEL_NAME: 'mymaster' })).toEqual([
      'REDIS_SENTINELS: is required with REDIS_SENTINEL_NAME',
    ]);
  });

  it('refuses a sentinel password without sentinels', () => {
    expect(problemsFor({ REDIS_SENTINEL_PASSWORD: 'x'.repeat(40) })).toEqual([
      'REDIS_SENTINEL_PASSWORD: has no effect without REDIS_SENTINELS',
    ]);
  });

  it('refuses Sentinel and Cluster together', () => {
    const problems = problemsFor({
      REDIS_SENTINELS: 'sentinel:26379',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_CLUSTER_NODES: 'redis-1:7000',
    });
    expect(problems).toEqual([expect.stringMatching(/^REDIS_CLUSTER_NODES: .*choose one/)]);
  });

  it('refuses a db index with Cluster, which has only db 0', () => {
    expect(
      problemsFor({ REDIS_CLUSTER_NODES: 'redis-1:7000', REDIS_URL: 'redis://redis-1:7000/2' }),
    ).toEqual([expect.stringMatching(/^REDIS_URL: selects a database other than 0/)]);
    const { config } = loadConfig('gateway', {
      ...env,
      REDIS_CLUSTER_NODES: 'redis-1:7000',
      REDIS_URL: 'redis://redis-1:7000/0',
    });
    expect(config.REDIS_CLUSTER_NODES).toHaveLength(1);
  });

  it.each([
    ['REDIS_SENTINELS', 'sentinel:notaport'],
    ['REDIS_SENTINELS', 'sentinel:70000'],
    ['REDIS_CLUSTER_NODES', 'user:pw@redis-1:7000'],
    ['REDIS_CLUSTER_NODES', ' , '],
  ])('refuses %s=%s as an address list', (name, value) => {
    const extra: Record<string, string> = { [name]: value };
    if (name === 'REDIS_SENTINELS') extra.REDIS_SENTINEL_NAME = 'mymaster';
    expect(problemsFor(extra)).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
  });

  it('never echoes a password given in an address list', () => {
    const password = `pw${Date.now()}secret`;
    const problems = problemsFor({ REDIS_CLUSTER_NODES: `user:${password}@redis-1:7000` });
    expect(problems.join('\n')).not.toContain(password);
  });

  it('treats the sentinel password as a secret the apps may hold, judged in production', () => {
    const problems = (() => {
      try {
        loadConfig('gateway', {
          NODE_ENV: 'production',
          REDIS_SENTINELS: 'sentinel:26379',
          REDIS_SENTINEL_NAME: 'mymaster',
          REDIS_SENTINEL_PASSWORD: 'changeme',
        });
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    })();
    expect(problems.some((p) => p.startsWith('REDIS_SENTINEL_PASSWORD '))).toBe(true);
    expect(problems.join('\n')).not.toContain('changeme');
    expect(problems.some((p) => p.includes('REDIS_SENTINEL_PASSWORD is not used'))).toBe(false);
  });
});
