import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort, waitFor } from './spawn-app.js';

export type OwnRedisServer = {
  port: number;
  url: string;
  /** Kills the server abruptly (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and waits until it answers PING. */
  start(): Promise<void>;
};

export type OwnRedisOptions = {
  /**
   * Keep an append-only file here, fsynced on every write, so a SIGKILL loses nothing that
   * Redis acknowledged (as a production Redis with `appendfsync always`). Default: no persistence.
   */
  appendOnlyDir?: string;
};

/**
 * A throwaway `redis-server` of the suite's own on a free loopback port, with no persistence
 * unless asked, so a suite can take Redis down without touching the machine's shared instance.
 */
export async function startOwnRedisServer(options: OwnRedisOptions = {}): Promise<OwnRedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let out = '';

  const start = async (): Promise<void> => {
    out = '';
    const persistence = options.appendOnlyDir
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.appendOnlyDir]
      : ['--appendonly', 'no'];
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((res) => proc.once('exit', res));
    child = proc;
    await waitFor(
      () => ping(url),
      10_000,
      () => out,
      exited,
    );
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((res) => proc.once('exit', res));
    proc.kill('SIGKILL');
    await exited;
  };

  await start();
  return { port, url, kill, start };
}

/** One raw PING over a fresh socket (no client library, so nothing lingers afterwards). */
function ping(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((res) => {
    const socket = connect(Number(port), hostname);
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      res(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
