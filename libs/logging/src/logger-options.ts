import { createRedactor } from '@gatehouse/redact';
import type { LoggerOptions } from 'pino';

export type LoggingConfig = {
  LOG_LEVEL: string;
  LOG_FORMAT?: 'json' | 'pretty';
  NODE_ENV?: string;
  ADMIN_API_KEY?: string;
  KEY_PEPPER?: string;
  API_KEY?: string;
};

/**
 * Human-readable lines (pino-pretty, in a worker thread): the level in colour, the time of day,
 * the message, then the fields. The app is named by `npm start`'s prefix, so it is left out.
 */
const PRETTY = {
  target: 'pino-pretty',
  options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app' },
};

/**
 * Whether logs are written for people: never in production (log collectors read JSON), else as
 * LOG_FORMAT says, else when stdout is a terminal.
 */
export function logsPretty(config: Pick<LoggingConfig, 'LOG_FORMAT' | 'NODE_ENV'>): boolean {
  if (config.NODE_ENV === 'production') return false;
  if (config.LOG_FORMAT) return config.LOG_FORMAT === 'pretty';
  return process.stdout.isTTY === true;
}

/**
 * Structured JSON logs with credentials removed twice over: header paths by pino's redact,
 * and anything secret-looking (or equal to a configured secret) by the redactor, field by field
 * as code logs them. (The gateway's one line per request is built from fields it controls and
 * redacts its path itself: see apps/gateway/src/http/access-log.ts.)
 */
export function loggerOptions(app: string, config: LoggingConfig): LoggerOptions {
  const redactor = createRedactor([config.ADMIN_API_KEY, config.KEY_PEPPER, config.API_KEY]);
  return {
    level: config.LOG_LEVEL,
    ...(logsPretty(config) ? { transport: PRETTY } : {}),
    base: { app },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
      ],
      censor: '[REDACTED]',
    },
    formatters: {
      level: (label) => ({ level: label }),
      // Field-name and value redaction for what code logs (`{ err }`, `{ headers }`).
      log: (object) => redactor.value(object),
    },
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((a: unknown) => (typeof a === 'string' ? redactor.text(a) : a)) as Parameters<
            typeof method
          >,
        );
      },
    },
  };
}
