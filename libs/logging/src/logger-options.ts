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
 * and anything secret-looking (or equal to a configured secret) by the redactor. The redactor
 * also runs over each finished line, because child-logger bindings (pino-http's `req`, with
 * its path) and serializer output never pass through `formatters.log`.
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
      // Field-name redaction for what code logs (`{ err }`, `{ headers }`). pino-http's raw
      // req/res are left out: they are serialized separately and covered by streamWrite.
      log: (object) => {
        const { req, res, ...rest } = object;
        return {
          ...(req !== undefined && { req }),
          ...(res !== undefined && { res }),
          ...redactor.value(rest),
        };
      },
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
      // Replacements are `[REDACTED]`, so the line stays valid JSON.
      streamWrite: (line) => redactor.text(line),
    },
  };
}
