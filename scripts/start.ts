import { APP_DB_ROLES } from '@gatehouse/db';
import concurrently from 'concurrently';
import pg from 'pg';
import { announceDevAdminKey, loadConfigOrExit } from '@gatehouse/config';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeProblems, preflight } from './preflight.js';
import { prepareDatabase } from './prepare-database.js';
import { gatewayBaseUrl, readyBanner, waitUntilReady } from './ready-banner.js';

type AppName = keyof typeof APP_DB_ROLES;
const APPS: AppName[] = ['gateway', 'proxy-worker', 'audit'];

/** `url` logged in as `role`, without a password: local Postgres trusts loopback (README). */
function asRole(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = '';
  return u.toString();
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Each app's environment: its own database role, as in production, when the local server lets
 * the roles the migration created log in (trust on loopback). Otherwise, say so and run all three
 * as DATABASE_URL's role, which can do everything the roles would forbid.
 */
async function appEnvironments(): Promise<Record<AppName, Record<string, string>>> {
  const { config } = loadConfigOrExit('cli');
  const urls: Record<AppName, string> = {
    gateway: asRole(config.DATABASE_URL, APP_DB_ROLES.gateway),
    'proxy-worker': asRole(config.DATABASE_URL, APP_DB_ROLES['proxy-worker']),
    audit: asRole(config.DATABASE_URL, APP_DB_ROLES.audit),
  };
  const reachable = await Promise.all(APPS.map((app) => canConnect(urls[app])));
  if (reachable.every(Boolean)) {
    const own = (app: AppName) => ({ DATABASE_URL: urls[app], DB_RUN_MIGRATIONS: 'false' });
    return { gateway: own('gateway'), 'proxy-worker': own('proxy-worker'), audit: own('audit') };
  }
  process.stdout.write(
    '\n  The app roles (gatehouse_gateway, gatehouse_proxy_worker, gatehouse_audit) cannot log in\n' +
      '  without a password here, so all three apps run as the DATABASE_URL role, which may change\n' +
      '  audit rows. Trust loopback connections in pg_hba.conf (README) to run them as in production.\n\n',
  );
  return { gateway: {}, 'proxy-worker': {}, audit: {} };
}

/**
 * `npm start`: create and migrate the database, then run the three apps in one terminal, each
 * as its own database role. Ctrl-C stops all three; if one dies, the others are stopped too.
 */
async function main(): Promise<void> {
  const loaded = loadConfigOrExit('cli');
  if (loaded.generatedAdminKey) {
    announceDevAdminKey(loaded.generatedAdminKey, loaded.config.DEV_SECRETS_FILE);
  }
  // Before anything else: a missing Postgres or Redis is named, with the fix, not a stack trace.
  const problems = await preflight(loaded.config);
  if (problems.length > 0) {
    process.stderr.write(`gatehouse cannot start:\n${describeProblems(problems)}\n`);
    process.exit(69); // EX_UNAVAILABLE
  }
  await prepareDatabase(loaded);
  const env = await appEnvironments();
  // This run's own heartbeat files, so the banner waits for these apps and no others.
  const heartbeat = (app: AppName) => join(tmpdir(), `gatehouse-${process.pid}-${app}.heartbeat`);
  const { result } = concurrently(
    APPS.map((name) => ({
      name,
      command: `node dist/apps/${name}/src/main.js`,
      env: {
        ...env[name],
        HEARTBEAT_FILE: heartbeat(name),
        // The apps write to a pipe here; the terminal they end up on is this process's.
        ...(process.env.LOG_FORMAT ? {} : { LOG_FORMAT: process.stdout.isTTY ? 'pretty' : 'json' }),
      },
    })),
    {
      killOthersOn: ['failure', 'success'],
      prefix: 'name',
      prefixColors: ['cyan', 'magenta', 'yellow'],
    },
  );
  const gatewayUrl = gatewayBaseUrl(loaded.config.HOST, loaded.config.PORT);
  void waitUntilReady(gatewayUrl, [heartbeat('proxy-worker'), heartbeat('audit')], 120_000).then(
    (ready) => {
      if (!ready) return;
      process.stdout.write(
        readyBanner({
          gatewayUrl,
          newAdminKey: loaded.generatedAdminKey,
          secretsFile: loaded.config.DEV_SECRETS_FILE,
        }),
      );
    },
  );
  // An app stopped by a signal leaves its heartbeat file behind (Nest re-raises the signal, so
  // no exit handler runs): this run's files go with it.
  const done = (code: number) => {
    for (const app of APPS) rmSync(heartbeat(app), { force: true });
    process.exit(code);
  };
  await result.then(
    () => done(0),
    () => done(1),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`gatehouse failed to start: ${err.message}\n`);
  process.exit(1);
});
