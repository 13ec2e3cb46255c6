import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditActor, AuditRequestContext } from '@gatehouse/queue';

/** Who did what, for the audit trail: filled in as the request passes the edge and admission. */
export type RequestContext = AuditRequestContext & {
  actor: AuditActor;
  key_id?: string;
  /** The console session acting (its audit reference, see sessionRef), if one is. */
  session?: string;
};

const storage = new AsyncLocalStorage<RequestContext>();

export function newRequestContext(req: {
  id: string;
  clientIp: string;
  method: string;
  path: string;
}): RequestContext {
  return {
    request_id: req.id,
    ip: req.clientIp,
    method: req.method,
    path: req.path,
    actor: 'anonymous',
  };
}

/** Runs the rest of the request inside its context, so services can audit without a `req`. */
export function runInRequestContext(context: RequestContext, next: () => void): void {
  storage.run(context, next);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
