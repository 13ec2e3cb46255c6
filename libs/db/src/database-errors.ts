import { QueryFailedError } from 'typeorm';

/** Node socket errors that mean the server could not be reached or the connection broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs meaning "the server is not there for you right now": class 08 (connection
 * exception), shutdowns and start-up (57P01-57P03), too many connections (53300).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** What node-postgres and its pool say when a connection dies, never opens, or times out. */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Query read timeout/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Cannot use a pool after calling end on the pool/,
];

/**
 * Whether an error means Postgres is unreachable (a transient outage the caller should retry,
 * answered 503) rather than a bug or a bad query (500). Follows TypeORM's `driverError` and
 * `cause` chains.
 */
export function isDatabaseUnavailableError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const { code } = current as { code?: unknown };
    if (
      typeof code === 'string' &&
      (NETWORK_CODES.has(code) || code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code))
    ) {
      return true;
    }
    if (DRIVER_MESSAGES.some((re) => re.test(current instanceof Error ? current.message : '')))
      return true;
    current =
      current instanceof QueryFailedError ? (current.driverError as unknown) : current.cause;
  }
  return false;
}
