import { z } from 'zod';

export type RedisNodeAddress = { host: string; port: number };

/**
 * `host:port` entries, comma-separated (`[::1]:26379` for IPv6); a missing port is
 * `defaultPort`. Parsed by URL so that host names, IPv4 and IPv6 are read one way.
 */
export function redisNodeList(defaultPort: number) {
  return z.string().transform((value, ctx): RedisNodeAddress[] => {
    const nodes: RedisNodeAddress[] = [];
    const entries = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const [i, entry] of entries.entries()) {
      const node = parseNode(entry, defaultPort);
      if (!node) {
        // By position, not value: a mistyped entry may hold a password (user:pw@host).
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} is not a host:port address` });
        return z.NEVER;
      }
      nodes.push(node);
    }
    if (nodes.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must list at least one host:port' });
      return z.NEVER;
    }
    return nodes;
  });
}

function parseNode(entry: string, defaultPort: number): RedisNodeAddress | undefined {
  if (/[\s/@?#]/.test(entry)) return undefined;
  let url: URL;
  try {
    url = new URL(`redis://${entry}`);
  } catch {
    return undefined;
  }
  if (!url.hostname) return undefined;
  const port = url.port ? Number(url.port) : defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  // URL keeps IPv6 in brackets; sockets want them bare.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** The Redis variables the topology rules read. */
export type RedisTopologyVariables = {
  REDIS_URL: string;
  REDIS_SENTINELS?: RedisNodeAddress[];
  REDIS_SENTINEL_NAME?: string;
  REDIS_SENTINEL_PASSWORD?: string;
  REDIS_CLUSTER_NODES?: RedisNodeAddress[];
};

/**
 * What makes one topology: Sentinel needs both its list and the primary's name, Cluster has
 * only db 0, and one deployment uses one topology. Returns [variable, message] pairs.
 */
export function redisTopologyProblems(c: RedisTopologyVariables): [string, string][] {
  const problems: [string, string][] = [];
  const sentinel = c.REDIS_SENTINELS !== undefined || c.REDIS_SENTINEL_NAME !== undefined;
  if (sentinel && c.REDIS_CLUSTER_NODES !== undefined) {
    problems.push([
      'REDIS_CLUSTER_NODES',
      'is set together with REDIS_SENTINELS/REDIS_SENTINEL_NAME: choose one Redis topology',
    ]);
  }
  if (c.REDIS_SENTINELS !== undefined && c.REDIS_SENTINEL_NAME === undefined) {
    problems.push([
      'REDIS_SENTINEL_NAME',
      'is required with REDIS_SENTINELS: the name the sentinels monitor the primary under',
    ]);
  }
  if (c.REDIS_SENTINEL_NAME !== undefined && c.REDIS_SENTINELS === undefined) {
    problems.push(['REDIS_SENTINELS', 'is required with REDIS_SENTINEL_NAME']);
  }
  if (c.REDIS_SENTINEL_PASSWORD !== undefined && c.REDIS_SENTINELS === undefined) {
    problems.push(['REDIS_SENTINEL_PASSWORD', 'has no effect without REDIS_SENTINELS']);
  }
  if (c.REDIS_CLUSTER_NODES !== undefined && redisUrlDb(c.REDIS_URL) !== 0) {
    problems.push([
      'REDIS_URL',
      'selects a database other than 0, which Redis Cluster does not have; drop the /<db> part',
    ]);
  }
  return problems;
}

/** The db index in a `redis://host:port/<db>` URL (0 when there is none). */
export function redisUrlDb(redisUrl: string): number {
  const path = new URL(redisUrl).pathname;
  return path.length > 1 ? Number(path.slice(1)) : 0;
}
