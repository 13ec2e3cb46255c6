import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  BadRequestException,
  Inject,
  Injectable,
  type NestMiddleware,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import express, { type Request, type Response } from 'express';

type BodyParserError = Error & { type?: string; status?: number };

/**
 * JSON is the only body the gateway accepts. Runs as Nest middleware (not app.use) so that its
 * errors reach the global exception filter and leave in the gateway's error shape.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse: express.RequestHandler;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.parse = express.json({
      limit: config.MAX_BODY_BYTES,
      strict: true,
      type: ['application/json', 'application/*+json'],
    });
  }

  async use(req: Request, res: Response, next: () => void): Promise<void> {
    if (!hasBody(req)) {
      req.body = {};
      return next();
    }
    if (!req.is(['application/json', 'application/*+json'])) {
      throw new UnsupportedMediaTypeException(
        'Request bodies must be JSON (Content-Type: application/json)',
      );
    }
    await new Promise<void>((resolve, reject) => {
      this.parse(req, res, (err?: unknown) =>
        err ? reject(toHttpError(err as BodyParserError)) : resolve(),
      );
    });
    next();
  }
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function toHttpError(err: BodyParserError): Error {
  switch (err.type) {
    case 'entity.too.large':
      return new PayloadTooLargeException('Request body is larger than the configured limit');
    case 'entity.parse.failed':
      return new BadRequestException('Request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeException('Unsupported body encoding or charset');
    case 'request.aborted':
      return new BadRequestException('Request body was aborted');
    default:
      return new BadRequestException('Request body could not be read');
  }
}
