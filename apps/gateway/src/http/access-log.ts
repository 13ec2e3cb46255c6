import type { AppConfig } from '@gatehouse/config';
import { loggerOptions } from '@gatehouse/logging';
import { createRedactor } from '@gatehouse/redact';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pino } from 'pino';

/**
 * One structured line per request, written when the response is done. Every field but the path
 * is the gateway's own (a validated id, a status, an address, a key id); the path is the one
 * that can carry a careless client's credential, so it alone is redacted, once (it arrives
 * capped: see recordedPath).
 */
export function accessLogger(
  config: AppConfig,
): (req: FastifyRequest, reply: FastifyReply) => void {
  const { level, base, timestamp, formatters, transport } = loggerOptions('gateway', config);
  const options = { level, base, timestamp, formatters: { level: formatters?.level } };
  // One synchronous write(2) per line on the event loop's thread. pino's default destination is
  // asynchronous, and without buffering that sends every line through libuv's thread pool: a
  // hand-off and a wake-up back per request, which cost more CPU than the write itself.
  const log = transport
    ? pino({ ...options, transport })
    : pino(options, pino.destination({ dest: 1, sync: true }));
  const redactor = createRedactor([config.ADMIN_API_KEY, config.KEY_PEPPER]);
  return (req, reply) => {
    if (!log.isLevelEnabled('info')) return;
    const principal = req.principal;
    const status = reply.statusCode;
    log.info(
      {
        req: { id: req.id, method: req.method, path: redactor.text(req.path) },
        res: { status },
        responseTime: Math.round(reply.elapsedTime),
        client_ip: req.clientIp,
        key_id: principal?.kind === 'client' ? principal.key.id : undefined,
        admin: principal?.kind === 'admin' || undefined,
      },
      status >= 500 ? 'request errored' : 'request completed',
    );
  };
}
