import { spawn } from 'node:child_process';
import pg from 'pg';

export type ScriptRun = { code: number | null; stdout: string; stderr: string };

/** Runs an operator script with exactly `env` (nothing inherited), feeding it `input`. */
export function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
  input = '',
): Promise<ScriptRun> {
  return new Promise((res, rej) => {
    const child = spawn(script, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', rej);
    // 'close', not 'exit': all output has been read by then.
    child.once('close', (code) => res({ code, stdout, stderr }));
    // A script that exits before reading its input (a refused argument) is no EPIPE failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** The rows of one query, on a connection of its own. */
export async function queryRows<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}
