import 'reflect-metadata';
import { loadConfigOrExit } from '@gatehouse/config';
import { MIGRATIONS } from '@gatehouse/db';
import {
  createRedisClient,
  maxmemoryPolicy,
  type RedisConnectionConfig,
  redisPrimaries,
  RedisRole,
  REQUIRED_MAXMEMORY_POLICY,
} from '@gatehouse/queue';
import pg from 'pg';
import { checkPostgres, checkRedis, type PreflightProblem } from './preflight.js';

/** One line of the report: what was checked, and either "ok" with a detail or what to do. */
type Check = { name: string; ok: boolean; detail: string };

/** More than this between this machine's clock and Postgres's is reported. */
const MAX_CLOCK_SKEW_MS = 2_000;

const fromProblem = (p: PreflightProblem): Check => ({
  name: p.service,
  ok: false,
  detail: `${p.cause} (${p.tried}); ${p.fix[0] ?? ''}`,
});

/** The eviction policy of every primary (each master of a Cluster): all must be noeviction. */
async function redisPolicy(config: RedisConnectionConfig): Promise<Check> {
  const redis = createRedisClient(config, RedisRole.probe);
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const policies = await Promise.all(
      redisPrimaries(redis).map(async (primary) => maxmemoryPolicy(await primary.info('memory'))),
    );
    const policy = policies.find((p) => p !== REQUIRED_MAXMEMORY_POLICY) ?? policies[0];
    if (policy === REQUIRED_MAXMEMORY_POLICY) {
      return { name: 'Redis eviction', ok: true, detail: `maxmemory-policy ${policy}` };
    }
    return {
      name: 'Redis eviction',
      ok: false,
      detail:
        `maxmemory-policy is "${policy ?? 'unknown'}": Redis may evict queue keys and lose jobs; ` +
        `set it to ${REQUIRED_MAXMEMORY_POLICY} (redis-cli CONFIG SET maxmemory-policy ` +
        `${REQUIRED_MAXMEMORY_POLICY}, and in redis.conf so it stays)`,
    };
  } catch (err) {
    return {
      name: 'Redis eviction',
      ok: false,
      detail: `could not read: ${(err as Error).message}`,
    };
  } finally {
    redis.disconnect();
  }
}

/** Migrations applied against those this build knows, and the clock against the server's. */
async function database(url: string): Promise<Check[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    const missing = (err as { code?: string }).code === '3D000';
    return [
      {
        name: 'Migrations',
        ok: false,
        detail: missing
          ? 'the database does not exist yet: npm start (or npm run migration:run) creates it'
          : `could not connect: ${(err as Error).message}`,
      },
    ];
  }
  try {
    const sentAt = Date.now();
    const { rows } = await client.query<{ now: Date; table: string | null }>(
      `SELECT now() AS now, to_regclass('public.migrations')::text AS table`,
    );
    const receivedAt = Date.now();
    const serverNow = rows[0]?.now.getTime() ?? receivedAt;
    // The server read its clock somewhere between sending and receiving: compare to the middle.
    const skew = Math.round(serverNow - (sentAt + receivedAt) / 2);
    const clock: Check =
      Math.abs(skew) <= MAX_CLOCK_SKEW_MS
        ? { name: 'Clock', ok: true, detail: `within ${MAX_CLOCK_SKEW_MS / 1000} s of Postgres's` }
        : {
            name: 'Clock',
            ok: false,
            detail:
              `${Math.abs(skew)} ms ${skew > 0 ? 'behind' : 'ahead of'} Postgres's: keep both ` +
              'synchronised (timedatectl; Cloudflare Access tokens and retention read the time)',
          };
    const applied = new Set<string>();
    if (rows[0]?.table) {
      const done = await client.query<{ name: string }>('SELECT name FROM migrations');
      for (const row of done.rows) applied.add(row.name);
    }
    const pending = MIGRATIONS.map((m) => m.name).filter((name) => !applied.has(name));
    const migrations: Check =
      pending.length === 0
        ? { name: 'Migrations', ok: true, detail: `all ${MIGRATIONS.length} applied` }
        : {
            name: 'Migrations',
            ok: false,
            detail: `${pending.length} pending (${pending[0] ?? ''}…): npm run migration:run (npm start runs them)`,
          };
    return [migrations, clock];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `npm run doctor`: what `npm start` checks first, and what it cannot see from outside: Redis's
 * eviction policy, the migration state, the credential key pair, and the clock. One line per
 * check; exit 1 when any needs doing.
 */
async function main(): Promise<void> {
  const { config } = loadConfigOrExit('cli');
  const [postgres, redis] = await Promise.all([
    checkPostgres(config.DATABASE_URL),
    checkRedis(config.REDIS_URL, config),
  ]);
  const checks: Check[] = [
    postgres
      ? fromProblem(postgres)
      : { name: 'PostgreSQL', ok: true, detail: 'answers and accepts the login' },
    redis
      ? fromProblem(redis)
      : { name: 'Redis', ok: true, detail: 'answers and accepts the login' },
  ];
  if (!redis) checks.push(await redisPolicy(config));
  if (!postgres) checks.push(...(await database(config.DATABASE_URL)));
  checks.push(
    config.CREDENTIALS_PUBLIC_KEY && config.CREDENTIALS_PRIVATE_KEYS
      ? { name: 'Credential keys', ok: true, detail: 'a public key and a private keyring are set' }
      : {
          name: 'Credential keys',
          ok: false,
          detail:
            'CREDENTIALS_PUBLIC_KEY and CREDENTIALS_PRIVATE_KEYS are needed to store upstream ' +
            'accounts: npm run keys:generate',
        },
  );
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const check of checks) {
    process.stdout.write(
      `${check.name.padEnd(width)}  ${check.ok ? 'ok  ' : 'FIX '} ${check.detail}\n`,
    );
  }
  process.exit(checks.every((c) => c.ok) ? 0 : 1);
}

main().catch((err: Error) => {
  process.stderr.write(`doctor failed: ${err.message}\n`);
  process.exit(1);
});
