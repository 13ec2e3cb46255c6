import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

// Long enough to be unique, short and plain enough to be safe in logs and headers.
const VALID_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

/** Keeps a well-formed incoming X-Request-Id, replaces anything else, and echoes it. */
export function requestId(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.headers['x-request-id'];
  req.id =
    typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', req.id);
  next();
}
