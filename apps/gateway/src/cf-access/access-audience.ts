import type { FastifyRequest } from 'fastify';
import { QUEUES_BOARD_PATH } from '../queues-board/queues-board-csp.js';

/** The admin API and the queue board: what the stricter Access application guards. */
const ADMIN_PREFIXES = ['/api/v1/admin', QUEUES_BOARD_PATH] as const;

export type AccessAudiences = {
  /** The client API's Access application(s): every path but the admin ones. */
  client: readonly string[];
  /** The admin application(s): the admin paths only. */
  admin: readonly string[];
};

/**
 * Which Access applications may let this request in. Decided by the route the router matched,
 * not the raw path: the router decodes percent-escapes, so `/api/v1/%61dmin/keys` reaches the
 * admin handlers while its raw path does not start with `/api/v1/admin`. A path that matched no
 * route (a 404) is judged by its raw form; it reaches no handler either way.
 */
export function audienceFor(req: FastifyRequest, audiences: AccessAudiences): readonly string[] {
  return isAdminPath(req.routeOptions.url ?? req.path) ? audiences.admin : audiences.client;
}

export function isAdminPath(path: string): boolean {
  return ADMIN_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}
