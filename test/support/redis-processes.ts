import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A redis-server (or sentinel) process of a suite's own, with its output kept for failures. */
export type RedisProcess = {
  port: number;
  output(): string;
  /** SIGKILL, as a crash would; resolves once it has exited. */
  kill(): Promise<void>;
};

export function startRedisProcess(port: number, args: string[]): RedisProcess {
  let out = '';
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  return {
    port,
    output: () => out,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * One redis-cli command against a loopback port (the password through REDISCLI_AUTH, never on
 * the command line). Resolves to its output, trimmed.
 */
export async function redisCli(port: number, args: string[], password?: string): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    env: { ...process.env, ...(password ? { REDISCLI_AUTH: password } : {}) },
    timeout: 10_000,
  });
  return stdout.trim();
}
