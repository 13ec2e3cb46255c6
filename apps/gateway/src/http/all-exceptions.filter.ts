import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { isDatabaseUnavailableError } from '@gatehouse/db';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RetryLater } from '../admission/limit-state.js';
import { type ErrorBody, errorTypeFor } from './error-body.js';
import { declaredErrorType } from './typed-http-exception.js';
import { bodyErrorFromFastify } from './json-body.js';

const DB_UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable; try again shortly';

/**
 * The one place errors become responses: `{ error: { type, message, request_id } }`.
 * Unexpected errors are logged with their cause and answered with a bare 500; a database that
 * cannot be reached is an outage, not a bug, and gets a generic 503 the client may retry.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      this.logger.error({ err: exception }, 'unhandled error outside HTTP');
      return;
    }
    this.replyTo(
      exception,
      host.switchToHttp().getRequest<FastifyRequest>(),
      host.switchToHttp().getResponse<FastifyReply>(),
    );
  }

  /** Answers a request with the error (also for errors raised outside Nest's pipeline). */
  replyTo(exception: unknown, req: FastifyRequest, reply: FastifyReply): void {
    const dbDown = !(exception instanceof HttpException) && isDatabaseUnavailableError(exception);
    // The response says only "unavailable"; the log keeps the driver's error.
    const shown = dbDown
      ? new ServiceUnavailableException(DB_UNAVAILABLE_MESSAGE)
      : (bodyErrorFromFastify(exception as { code?: string }) ?? exception);
    const status =
      shown instanceof HttpException ? shown.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
    const message = this.messageFor(shown, status, req);
    if (status >= 500) {
      this.logger.error(
        { err: exception, request_id: req.id, status },
        dbDown ? 'request failed: database unavailable' : 'request failed',
      );
    }
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.end();
      return;
    }
    // Fastify closes the connection after a body it refused; a client still sending its body
    // would then fail on a broken pipe before reading the 413. Node discards the unread rest
    // of a kept-alive request instead (bounded by the server's request timeout).
    if (status === 413) reply.removeHeader('connection');
    if (shown instanceof RetryLater) {
      req.retryAfter = shown.retryAfterSeconds;
      if (shown.state) req.limits = shown.state;
      if (shown.budgets) req.budgets = shown.budgets;
    }
    const type = declaredErrorType(shown) ?? errorTypeFor(status);
    const body: ErrorBody = { error: { type, message, request_id: req.id } };
    void reply.code(status).send(body);
  }

  private messageFor(exception: unknown, status: number, req: FastifyRequest): string {
    if (
      exception instanceof NotFoundException &&
      exception.message === `Cannot ${req.method} ${req.raw.url ?? req.url}`
    ) {
      // Nest's unknown-route message echoes the query string, where credentials sometimes end up.
      return `Cannot ${req.method} ${req.path}`;
    }
    if (exception instanceof HttpException) {
      const response = exception.getResponse();
      if (typeof response === 'string') return response;
      const msg = (response as { message?: unknown }).message;
      if (Array.isArray(msg)) return msg.map(String).join('; ');
      if (typeof msg === 'string') return msg;
      return exception.message;
    }
    if (this.config.NODE_ENV !== 'production' && exception instanceof Error && status >= 500) {
      return `Internal server error: ${exception.message}`;
    }
    return 'Internal server error';
  }
}
