import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { type ErrorBody, errorTypeFor } from './error-body.js';

/**
 * The one place errors become responses: `{ error: { type, message, request_id } }`.
 * Unexpected errors are logged with their cause and answered with a bare 500.
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
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const status =
      exception instanceof HttpException ? exception.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
    const message = this.messageFor(exception, status);
    if (status >= 500) {
      this.logger.error({ err: exception, request_id: req.id, status }, 'request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    const body: ErrorBody = { error: { type: errorTypeFor(status), message, request_id: req.id } };
    res.status(status).json(body);
  }

  private messageFor(exception: unknown, status: number): string {
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
