import type { AppConfig } from '@gatehouse/config';
import { loggerOptions } from '@gatehouse/logging';
import { createRedactor } from '@gatehouse/redact';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pino } from 'pino';

/** Lines are written in blocks of about this many bytes (a block is one write(2))... */
export const ACCESS_LOG_BLOCK_BYTES = 4096;
/** ...or at least this often, so a quiet gateway's lines are not held back. */
export const ACCESS_LOG_FLUSH_MS = 100;

/**
 * stdout for the access log, written on the event loop's thread in blocks. pino's default
 * destination is asynchronous, and without buffering that sent every line through libuv's thread
 * pool (a hand-off and a wake-up back per request); one synchronous write(2) per line still cost
 * a system call per request here and a wake-up of whatever reads stdout (the container runtime's
 * log driver). Blocks cost one of each per ~15 lines. The price: a gateway killed outright (not
 * stopped) loses up to ACCESS_LOG_FLUSH_MS of access lines; the audit trail is the durable record.
 */
function accessLogDestination(): {
  dest: ReturnType<typeof pino.destination>;
  close: () => void;
} {
  const dest = pino.destination({
    dest: 1,
    sync: true,
    minLength: ACCESS_LOG_BLOCK_BYTES,
    periodicFlush: ACCESS_LOG_FLUSH_MS,
  });
  const flush = (): void => {
    try {
      dest.flushSync();
    } catch {
      // stdout gone or full: nothing left to tell it with
    }
  };
  process.once('exit', flush);
  return {
    dest,
    // With the app, not the process: its held lines, its flush timer and its exit listener
    // (several apps in one process, as in tests, would otherwise pile them up). stdout stays
    // open. Called once: accessLogger's close guards it.
    close: () => {
      process.removeListener('exit', flush);
      flush();
      dest.end();
    },
  };
}

/** Writes one line per request; `close` flushes what is held, for when the app closes. */
export type AccessLogger = {
  log: (req: FastifyRequest, reply: FastifyReply) => void;
  close: () => void;
};

/**
 * One structured line per request, written when the response is done. Every field but the path
 * is the gateway's own (a validated id, a status, an address, a key id); the path is the one
 * that can carry a careless client's credential, so it alone is redacted, once (it arrives
 * capped: see recordedPath).
 */
export function accessLogger(config: AppConfig): AccessLogger {
  const { level, base, timestamp, formatters, transport } = loggerOptions('gateway', config);
  const options = { level, base, timestamp, formatters: { level: formatters?.level } };
  // A transport (pretty printing in development) runs in its own thread and flushes itself.
  const destination = transport ? undefined : accessLogDestination();
  let log = destination ? pino(options, destination.dest) : pino({ ...options, transport });
  const redactor = createRedactor([config.ADMIN_API_KEY, config.KEY_PEPPER]);
  const write = (req: FastifyRequest, reply: FastifyReply): void => {
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
  let closed = false;
  const close = (): void => {
    if (!destination || closed) return;
    closed = true;
    destination.close();
    // A response that ends after its app began closing still gets its line, written at once.
    log = pino(options, pino.destination({ dest: 1, sync: true }));
  };
  return { log: write, close };
}
