import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditActor, AuditRequestContext } from '@gatehouse/queue';
import type { NextFunction, Request, Response } from 'express';

/** Who did what, for the audit trail: filled in as the request passes the edge and auth. */
export type RequestContext = AuditRequestContext & { actor: AuditActor; key_id?: string };

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs the rest of the request inside its context, so services can audit without a `req`. */
export function requestContext(req: Request, _res: Response, next: NextFunction): void {
  storage.run(
    {
      request_id: req.id,
      ip: req.clientIp,
      method: req.method,
      path: req.path,
      actor: 'anonymous',
    },
    next,
  );
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
