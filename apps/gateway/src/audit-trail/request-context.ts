import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuditActor, AuditRequestContext } from '@gatehouse/queue';
import type { FastifyRequest } from 'fastify';

/**
 * Who did what, for the audit trail: made as the request reaches the edge, filled in as
 * admission learns who the caller is, and handed explicitly to whatever records an event.
 * Explicitly, not through an AsyncLocalStorage: once one is in use, Node runs its hooks on
 * every promise the process makes, proxied requests' included.
 */
export type RequestContext = AuditRequestContext & {
  actor: AuditActor;
  key_id?: string;
  /** The console session acting (its audit reference, see sessionRef), if one is. */
  session?: string;
};

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

/** Marks who the request turned out to be, once authentication knows. */
export function identify(context: RequestContext, actor: 'admin' | 'client', keyId?: string): void {
  context.actor = actor;
  context.key_id = keyId;
}

/** A handler's parameter: the request's audit context, for the services it calls to record with. */
export const AuditContext = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): RequestContext =>
    ctx.switchToHttp().getRequest<FastifyRequest>().auditContext,
);
