const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
// What ioredis throws for a command on a connection that is down (no offline queue), was lost
// mid-command, or gave up reconnecting for it (maxRetriesPerRequest).
const CLIENT_MESSAGES = [
  /^Connection is closed/,
  /^Stream isn't writeable/,
  /^Reached the max retries per request limit/,
];

/** A Redis command failed because the server was unreachable, not because it refused it. */
export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return CLIENT_MESSAGES.some((re) => re.test(error.message));
}
