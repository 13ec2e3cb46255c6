/**
 * Container health check for the one Gatehouse image: `node dist/scripts/healthcheck.js [app]`.
 * The app comes from the argument, else GATEHOUSE_APP; without either, a heartbeat file means
 * a standalone app and its absence means the gateway.
 *
 * - gateway: GET http://127.0.0.1:$PORT/health must answer 200 within 3 s.
 * - proxy-worker, audit: their heartbeat file (libs/health) must be fresher than 30 s.
 *
 * Exit 0 healthy, 1 unhealthy (what Docker's HEALTHCHECK expects), with one line saying why.
 */
import { existsSync } from 'node:fs';
import { HEARTBEAT_MAX_AGE_MS, heartbeatAgeMs, heartbeatFile } from '@gatehouse/health';

const APPS = ['gateway', 'proxy-worker', 'audit'] as const;
type App = (typeof APPS)[number];

function pickApp(): App {
  const named = process.argv[2] ?? process.env.GATEHOUSE_APP;
  if (named) {
    if ((APPS as readonly string[]).includes(named)) return named as App;
    throw new Error(`unknown app "${named}"; expected one of ${APPS.join(', ')}`);
  }
  for (const app of ['proxy-worker', 'audit'] as const) {
    if (existsSync(heartbeatFile(app))) return app;
  }
  return 'gateway';
}

/** The gateway binds HOST; a wildcard bind is reached on loopback. */
function gatewayUrl(env: NodeJS.ProcessEnv): string {
  const host = env.HOST && !['0.0.0.0', '::', '[::]'].includes(env.HOST) ? env.HOST : '127.0.0.1';
  const port = env.PORT || '3000';
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/health`;
}

async function checkGateway(): Promise<string> {
  const url = gatewayUrl(process.env);
  const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return `${url} answered 200`;
}

function checkHeartbeat(app: App): string {
  const file = heartbeatFile(app);
  const age = heartbeatAgeMs(file);
  if (age === undefined) throw new Error(`no heartbeat file ${file}`);
  const maxAge = Number(process.env.HEARTBEAT_MAX_AGE_MS) || HEARTBEAT_MAX_AGE_MS;
  if (age > maxAge) throw new Error(`heartbeat ${file} is ${Math.round(age / 1000)} s old`);
  return `heartbeat ${Math.round(age / 1000)} s old`;
}

async function main(): Promise<void> {
  const app = pickApp();
  const detail = app === 'gateway' ? await checkGateway() : checkHeartbeat(app);
  process.stdout.write(`${app}: healthy (${detail})\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const cause =
      err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    process.stderr.write(
      `unhealthy: ${err instanceof Error ? err.message : String(err)}${cause}\n`,
    );
    process.exit(1);
  },
);
