import {
  BadRequestException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** `application/json` and `application/<anything>+json`, with or without parameters. */
const JSON_TYPES = ['application/json', /^application\/[\w.-]+\+json(?:;|$)/i] as const;
const CHARSET = /;\s*charset\s*=\s*"?([\w-]+)"?/i;

const notJson = () =>
  new UnsupportedMediaTypeException('Request bodies must be JSON (Content-Type: application/json)');
const badEncoding = () => new UnsupportedMediaTypeException('Unsupported body encoding or charset');
const tooLarge = () =>
  new PayloadTooLargeException('Request body is larger than the configured limit');
const invalidJson = () => new BadRequestException('Request body is not valid JSON');

/** Whether a Content-Type header names JSON, as the parsers registered below match it. */
function isJsonType(contentType: string): boolean {
  const [json, plusJson] = JSON_TYPES;
  const essence = contentType.split(';')[0]?.trim().toLowerCase();
  return essence === json || plusJson.test(contentType.trim());
}

/**
 * Deeper than any real request (a chat body with tool schemas is a few dozen levels at most).
 * Validation, serialisation and redaction all recurse: without a cap, 10,000 levels of `[`
 * turned a request into a 500.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether a parsed value nests objects or arrays deeper than `max`; iterative, no recursion. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const pending: { node: object; depth: number }[] = [];
  if (value !== null && typeof value === 'object') pending.push({ node: value, depth: 1 });
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.depth > max) return true;
    const children: unknown[] = Array.isArray(next.node) ? next.node : Object.values(next.node);
    for (const child of children) {
      if (child !== null && typeof child === 'object') {
        pending.push({ node: child, depth: next.depth + 1 });
      }
    }
  }
  return false;
}

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
      return done(invalidJson());
    }
    if (typeof parsed !== 'object' || parsed === null) {
      return done(new BadRequestException('Request body must be a JSON object or array'));
    }
    if (nestedDeeperThan(parsed, MAX_JSON_DEPTH)) {
      return done(
        new BadRequestException(`Request body is nested deeper than ${MAX_JSON_DEPTH} levels`),
      );
    }
    done(null, parsed);
  };
  for (const type of JSON_TYPES) {
    instance.addContentTypeParser(type, { parseAs: 'string', bodyLimit: maxBytes }, parse);
  }
}

function refusal(req: FastifyRequest): Error | undefined {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return badEncoding();
  const charset = CHARSET.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return badEncoding();
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
  if (!isJsonType(req.headers['content-type'] ?? '')) return notJson();
  if (length !== undefined && Number(length) > maxBytes) return tooLarge();
  return refusal(req);
}

/** Fastify's own refusals of a body (before any parser runs), as the gateway's exceptions. */
export function bodyErrorFromFastify(err: { code?: string }): Error | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return tooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return notJson();
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new BadRequestException('Request body length does not match Content-Length');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return invalidJson();
    default:
      return undefined;
  }
}
