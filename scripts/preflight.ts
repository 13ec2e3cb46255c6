import {
  createRedisClient,
  type RedisConnectionConfig,
  RedisRole,
  redisTopology,
} from '@gatehouse/queue';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Why a dependency cannot be used, and what to do about it on this machine. */
export type PreflightProblem = {
  service: 'PostgreSQL' | 'Redis';
  /** The URL tried, without its password, and the variable it came from. */
  tried: string;
  cause: string;
  fix: string[];
};

const TIMEOUT_MS = 3_000;

/** `url` without its password, for messages. */
export function withoutPassword(url: string): string {
  const u = new URL(url);
  u.password = '';
  u.searchParams.delete('password');
  return u.toString();
}

type Failure = { code?: string; message?: string };

const POSTGRES_INSTALL = [
  'Debian/Ubuntu:  sudo apt-get install -y postgresql && sudo service postgresql start',
  'macOS:          brew install postgresql@16 && brew services start postgresql@16',
  'Docker:         docker run -d --name gatehouse-postgres -p 127.0.0.1:5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16-alpine',
  'or point DATABASE_URL at a server you have',
];

const REDIS_INSTALL = [
  'Debian/Ubuntu:  sudo apt-get install -y redis-server && sudo service redis-server start',
  'macOS:          brew install redis && brew services start redis',
  'Docker:         docker run -d --name gatehouse-redis -p 127.0.0.1:6379:6379 redis:7-alpine redis-server --appendonly yes --maxmemory-policy noeviction',
  'or point REDIS_URL at a server you have',
];

/** What failing to reach or resolve a host means, for either service. */
function networkCause(err: Failure, host: string): string | undefined {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `nothing is listening on ${host}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name in ${host} does not resolve`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${host} does not answer (down, or a firewall in the way)`;
    default:
      return /timeout/i.test(err.message ?? '')
        ? `${host} does not answer within ${TIMEOUT_MS / 1000} s`
        : undefined;
  }
}

/**
 * Checks that PostgreSQL answers at DATABASE_URL, accepts its login, and holds the database or
 * lets the role create it (as `npm start` then does).
 */
export async function checkPostgres(databaseUrl: string): Promise<PreflightProblem | undefined> {
  const url = new URL(databaseUrl);
  const host = `${url.hostname}:${url.port || '5432'}`;
  const database = decodeURIComponent(url.pathname.slice(1));
  const user = decodeURIComponent(url.username) || '(your OS user)';
  const tried = `${withoutPassword(databaseUrl)} (DATABASE_URL)`;
  const problem = (cause: string, fix: string[]): PreflightProblem => ({
    service: 'PostgreSQL',
    tried,
    cause,
    fix,
  });
  // The server's own database: the one in the URL may not exist yet.
  const server = new URL(databaseUrl);
  server.pathname = '/postgres';
  const client = new pg.Client({
    connectionString: server.toString(),
    connectionTimeoutMillis: TIMEOUT_MS,
  });
  client.on('error', () => undefined); // a failure is reported by connect()
  try {
    await client.connect();
  } catch (e) {
    const err = e as Failure;
    const network = networkCause(err, host);
    if (network) return problem(network, POSTGRES_INSTALL);
    if (err.code === '28P01' || err.code === '28000') {
      return problem(`PostgreSQL refused the login of role "${user}"`, [
        'put the role and its password in DATABASE_URL (postgres://user:password@host:port/db),',
        'or let local connections in without one: a "trust" line for 127.0.0.1/32 in pg_hba.conf (README)',
      ]);
    }
    if (/ssl|tls/i.test(err.message ?? '')) {
      return problem(`the TLS settings do not match the server's: ${err.message ?? ''}`, [
        'set ?sslmode= in DATABASE_URL to what the server offers (disable, require, verify-full)',
      ]);
    }
    return problem(`PostgreSQL answered with an error: ${err.message ?? String(e)}`, [
      'check DATABASE_URL',
    ]);
  }
  try {
    const found = await client.query<{ exists: boolean; createdb: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists,
              (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user) AS createdb`,
      [database],
    );
    const row = found.rows[0];
    if (row && !row.exists && !row.createdb) {
      return problem(
        `the database "${database}" does not exist, and role "${user}" may not create it`,
        [`create it once as a superuser: sudo -u postgres createdb -O "${user}" "${database}"`],
      );
    }
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Checks that Redis answers at REDIS_URL and accepts its login; with Sentinel or Cluster
 * settings in `topology`, that the primary (or the Cluster) answers through them.
 */
export async function checkRedis(
  redisUrl: string,
  topology?: Omit<RedisConnectionConfig, 'REDIS_URL'>,
): Promise<PreflightProblem | undefined> {
  if (topology && redisTopology({ ...topology, REDIS_URL: redisUrl }).kind !== 'standalone') {
    return checkRedisTopology({ ...topology, REDIS_URL: redisUrl });
  }
  const url = new URL(redisUrl);
  const host = `${url.hostname}:${url.port || '6379'}`;
  const tried = `${withoutPassword(redisUrl)} (REDIS_URL)`;
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The socket's own error (ECONNREFUSED...) arrives here; connect() then only says "closed".
  let socketError: Failure | undefined;
  redis.on('error', (err: Failure) => (socketError ??= err));
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (e) {
    const err = socketError ?? (e as Failure);
    const problem = (cause: string, fix: string[]): PreflightProblem => ({
      service: 'Redis',
      tried,
      cause,
      fix,
    });
    const network = networkCause(err, host);
    if (network) return problem(network, REDIS_INSTALL);
    const message = err.message ?? String(e);
    if (/NOAUTH/.test(message)) {
      return problem('Redis requires a password and REDIS_URL carries none', [
        'put it in REDIS_URL: redis://:password@host:port (or REDIS_PASSWORD)',
      ]);
    }
    if (/WRONGPASS|invalid password|without any password/i.test(message)) {
      return problem('Redis rejected the password in REDIS_URL', [
        'use the password Redis has (requirepass), or none if it has none',
      ]);
    }
    return problem(`Redis answered with an error: ${message}`, ['check REDIS_URL']);
  } finally {
    redis.disconnect();
  }
}

/** Sentinel or Cluster: one PING through the configured topology, one try. */
async function checkRedisTopology(
  config: RedisConnectionConfig,
): Promise<PreflightProblem | undefined> {
  const topology = redisTopology(config);
  const tried =
    topology.kind === 'cluster'
      ? `Redis Cluster at ${topology.nodes.map((n) => `${n.host}:${n.port}`).join(',')} (REDIS_CLUSTER_NODES)`
      : `Sentinel for ${config.REDIS_SENTINEL_NAME ?? ''} at ${(config.REDIS_SENTINELS ?? []).map((n) => `${n.host}:${n.port}`).join(',')} (REDIS_SENTINELS)`;
  const redis = createRedisClient(config, RedisRole.probe);
  let socketError: Failure | undefined;
  redis.on('error', (err: Failure) => (socketError ??= err));
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (e) {
    const message = (socketError ?? (e as Failure)).message ?? String(e);
    return {
      service: 'Redis',
      tried,
      cause: `Redis did not answer through this topology: ${message}`,
      fix: [
        'check the addresses and REDIS_SENTINEL_NAME, the login in REDIS_URL ' +
          '(and REDIS_SENTINEL_PASSWORD); see docs/redis-topologies.md',
      ],
    };
  } finally {
    redis.disconnect();
  }
}

/** Both services checked at once; what is wrong with each, in a fixed order. */
export async function preflight(
  urls: { DATABASE_URL: string; REDIS_URL: string } & Omit<RedisConnectionConfig, 'REDIS_URL'>,
): Promise<PreflightProblem[]> {
  const found = await Promise.all([
    checkPostgres(urls.DATABASE_URL),
    checkRedis(urls.REDIS_URL, urls),
  ]);
  return found.filter((p): p is PreflightProblem => p !== undefined);
}

/** The problems as the operator reads them: one block per service, no stack trace. */
export function describeProblems(problems: readonly PreflightProblem[]): string {
  return problems
    .map(
      (p) =>
        `\n  ${p.service} is not usable\n` +
        `    tried:  ${p.tried}\n` +
        `    cause:  ${p.cause}\n` +
        p.fix.map((line, i) => `    ${i === 0 ? 'fix:   ' : '       '} ${line}\n`).join(''),
    )
    .join('');
}
