import {
  BadRequestException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const JSON_TYPES = ['application/json', /^application\/[\w.-]+\+json(?:;|$)/i] as const;
const CHARSET = /;\s*charset\s*=\s*"?([\w-]+)"?/i;

/**
 * JSON is the only body the gateway accepts (415 otherwise), in UTF-8, unencoded, within
 * MAX_BODY_BYTES (413, counted as it arrives, chunked bodies too), and an object or array (400).
 * Errors are HttpExceptions, so they leave through the global filter in the gateway's shape.
 */
export function acceptJsonBodiesOnly(instance: FastifyInstance, maxBytes: number): void {
  instance.removeAllContentTypeParsers();
  const parse = (
    req: FastifyRequest,
    body: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ): void => {
    const refused = refusal(req);
    if (refused) return done(refused);
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.length === 0) return done(null, {});
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(new BadRequestException('Request body is not valid JSON'));
    }
    if (typeof parsed !== 'object' || parsed === null) {
      return done(new BadRequestException('Request body must be a JSON object or array'));
    }
    done(null, parsed);
  };
  for (const type of JSON_TYPES) {
    instance.addContentTypeParser(type, { parseAs: 'string', bodyLimit: maxBytes }, parse);
  }
}

function refusal(req: FastifyRequest): Error | undefined {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return new UnsupportedMediaTypeException('Unsupported body encoding or charset');
  }
  const charset = CHARSET.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return new UnsupportedMediaTypeException('Unsupported body encoding or charset');
  }
  return undefined;
}

/**
 * The same rules checked from the headers alone, before a body is read: for routes that are not
 * Nest's (the queue board's plugin answers parse errors in its own shape).
 */
export function bodyRefusalFromHeaders(req: FastifyRequest, maxBytes: number): Error | undefined {
  const length = req.headers['content-length'];
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !/^application\/[\w.-]+\+json$/.test(type)) {
    return new UnsupportedMediaTypeException(
      'Request bodies must be JSON (Content-Type: application/json)',
    );
  }
  if (length !== undefined && Number(length) > maxBytes) {
    return new PayloadTooLargeException('Request body is larger than the configured limit');
  }
  return refusal(req);
}

/** Fastify's own refusals of a body (before any parser runs), as the gateway's exceptions. */
export function bodyErrorFromFastify(err: { code?: string }): Error | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeException('Request body is larger than the configured limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? new UnsupportedMediaTypeException(
            'Request bodies must be JSON (Content-Type: application/json)',
          )
        : new BadRequestException('Request body length does not match Content-Length');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new BadRequestException('Request body is not valid JSON');
    default:
      return undefined;
  }
}
