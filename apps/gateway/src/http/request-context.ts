import type { Principal } from '../auth/principal.js';
import type { RequestContext } from '../audit-trail/request-context.js';
import type { LimitState } from '../admission/limit-state.js';
import type { BudgetState } from '../budgets/budget-state.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's address, from forwarding headers only when the hop is trusted. */
    clientIp: string;
    /** The path without its query string, capped (see recordedPath in edge.ts). */
    path: string;
    /** Who made the request, once admitted. */
    principal?: Principal;
    /** Who did what, for the audit trail (filled in as admission learns who the caller is). */
    auditContext: RequestContext;
    /** The tightest rate limit that applied, written to X-RateLimit-* as the response leaves. */
    limits?: LimitState;
    /** The key's budgets after this request, written to X-Budget-* as the response leaves. */
    budgets?: readonly BudgetState[];
    /** Seconds the client should wait (429, 503), written to Retry-After as the response leaves. */
    retryAfter?: number;
  }
}

/** The facts about a client request that travel with its work (job data, audit records). */
export type ClientFacts = { requestId: string; ip: string; method: string; path: string };

export function clientFacts(req: {
  id: string;
  clientIp: string;
  method: string;
  path: string;
}): ClientFacts {
  return { requestId: req.id, ip: req.clientIp, method: req.method, path: req.path };
}
