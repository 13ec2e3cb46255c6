/**
 * The exit codes scripts can rely on. Fixed: a script written against one release must keep
 * working against the next, so a code's meaning never changes and new ones are only added.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  rateLimited: 5,
  unavailable: 6,
  chainBroken: 7,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One line per code, for `gatehouse --help` (the README carries the same table). */
export const EXIT_CODE_HELP = `Exit codes:
  0  success
  1  failure (any other error, e.g. a 5xx from the gateway)
  2  usage or configuration error (bad arguments, no URL or admin key, an insecure
     config file, or a request the API refused as invalid: 400)
  3  authentication or permission refused (401, 403)
  4  not found (404)
  5  rate-limited or over budget (429; the wait from Retry-After is shown)
  6  gateway unavailable (503, connection refused, timeout)
  7  audit chain broken (audit verify)`;

/** An error the CLI reports as one message on stderr and ends with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
