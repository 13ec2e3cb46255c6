import { createRedactor } from '@gatehouse/redact';
import type { LoggerOptions } from 'pino';

export type LoggingConfig = {
  LOG_LEVEL: string;
  ADMIN_API_KEY?: string;
  KEY_PEPPER?: string;
  API_KEY?: string;
};

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
