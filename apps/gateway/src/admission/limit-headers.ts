import type { FastifyReply, FastifyRequest } from 'fastify';
import { budgetHeaders } from '../budgets/budget-state.js';

/**
 * The one place `X-RateLimit-*`, `X-Budget-*` and `Retry-After` are written: from what admission
 * and the services left on the request, as the response leaves (errors included).
 */
export function writeLimitHeaders(req: FastifyRequest, reply: FastifyReply): void {
  const limits = req.limits;
  if (limits) {
    reply.header('X-RateLimit-Limit', String(limits.limit));
    reply.header('X-RateLimit-Remaining', String(limits.remaining));
    reply.header('X-RateLimit-Reset', String(limits.resetSeconds));
  }
  for (const [name, value] of budgetHeaders(req.budgets ?? [])) reply.header(name, value);
  if (req.retryAfter !== undefined) reply.header('Retry-After', String(req.retryAfter));
}
