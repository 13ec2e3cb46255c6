import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { APP_DB_PASSWORD_VARIABLES } from '@gatehouse/config';
import { randomSecret } from './test-env.js';
import { PROJECT_ROOT as ROOT } from './project-root.js';

export type AppName = 'gateway' | 'proxy-worker' | 'audit';

export type SpawnedApp = {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
};

/**
 * In production mode each app logs in as its own database role, as in compose: given its role's
 * password unless the suite chose otherwise. Local Postgres trusts loopback, so the password
 * itself is not checked; which role logs in is.
 */
function withOwnRole(app: AppName, env: Record<string, string>): Record<string, string> {
  const variable = APP_DB_PASSWORD_VARIABLES[app];
  if (env.NODE_ENV !== 'production' || variable in env) return env;
  return { ...env, [variable]: randomSecret() };
}

/** Another entry than the app's main.js, built from test/support, and whether it takes messages. */
export type SpawnOptions = { entry?: string; ipc?: boolean };

/** Runs a built app (`npm run build` first) as its own process, as production does. */
export function spawnApp(
  app: AppName,
  env: Record<string, string>,
  options: SpawnOptions = {},
): SpawnedApp {
  const entry = options.entry ?? `dist/apps/${app}/src/main.js`;
  const child = spawn(process.execPath, [resolve(ROOT, entry)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...withOwnRole(app, env) },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    child,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/**
 * Starts a gateway process and waits until it answers /health: on 127.0.0.1 and a free port
 * unless told where (another loopback address, the port an earlier gateway had).
 */
export async function spawnGateway(
  env: Record<string, string>,
  listen: { host?: string; port?: number } = {},
): Promise<SpawnedApp & { url: string }> {
  const host = listen.host ?? '127.0.0.1';
  const port = listen.port ?? (await freePort());
  const app = spawnApp('gateway', { ...env, PORT: String(port), HOST: host });
  const url = `http://${host}:${port}`;
  try {
    await waitFor(
      async () => (await fetch(`${url}/health`)).ok,
      30_000,
      () => app.output(),
      app.exited,
    );
  } catch (err) {
    await app.stop(); // a gateway that never came up must not keep the test run alive
    throw err;
  }
  return { ...app, url };
}

/** Polls `check` until it returns true; fails with the process output if it never does. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => string = () => '',
  abort?: Promise<unknown>,
): Promise<void> {
  let aborted = false;
  void abort?.then(() => (aborted = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !aborted) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `condition not met within ${timeoutMs} ms${aborted ? ' (process exited)' : ''}\n${describe()}`,
  );
}

/** Starts a proxy-worker process and waits until its log says it is consuming. */
export function spawnWorker(env: Record<string, string>): Promise<SpawnedApp> {
  return spawnStandalone('proxy-worker', env);
}

/** Starts proxy-worker or audit and waits for its "<app> started" line (logged at info). */
export async function spawnStandalone(
  name: 'proxy-worker' | 'audit',
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<SpawnedApp> {
  const app = spawnApp(
    name,
    { ...env, LOG_LEVEL: env.LOG_LEVEL === 'silent' ? 'info' : (env.LOG_LEVEL ?? 'info') },
    options,
  );
  try {
    await waitFor(
      () => Promise.resolve(app.output().includes(`${name} started`)),
      30_000,
      () => app.output(),
      app.exited,
    );
  } catch (err) {
    await app.stop();
    throw err;
  }
  return app;
}
