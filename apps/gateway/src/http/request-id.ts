import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Long enough to be unique, short and plain enough to be safe in logs and headers.
const VALID_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

/** Fastify's genReqId: keeps a well-formed incoming X-Request-Id, replaces anything else. */
export function requestIdOf(raw: IncomingMessage): string {
  const incoming = raw.headers['x-request-id'];
  return typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
