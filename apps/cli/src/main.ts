#!/usr/bin/env node
import { CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { CliError, ExitCode } from './exit-codes.js';
import { buildProgram } from './program.js';

/** The package's version, for `gatehouse --version` (package.json sits above dist/). */
function version(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Runs the CLI; the exit code is set, never forced, so stdout is flushed before the process ends. */
async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram(version()).parseAsync(argv);
  } catch (err) {
    process.exitCode = report(err);
  }
}

function report(err: unknown): ExitCode {
  if (err instanceof CommanderError) {
    // Commander already printed its message (or the help / version, which are not errors).
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof CliError) {
    process.stderr.write(`gatehouse: ${err.message}\n`);
    return err.exitCode;
  }
  // Unexpected: say what, not the stack, which is noise to an operator.
  process.stderr.write(`gatehouse: ${err instanceof Error ? err.message : String(err)}\n`);
  return ExitCode.failure;
}

await main(process.argv);
