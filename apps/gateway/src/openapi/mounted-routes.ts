import type { FastifyInstance } from 'fastify';

export type MountedRoute = { method: string; url: string };

const recorded = new WeakMap<FastifyInstance, MountedRoute[]>();

/**
 * Records every route added to `instance` from now on (Nest's, the proxy's, plugins'), so tools
 * can compare what is mounted with what is documented (`npm run openapi -- --routes`). A list
 * filled at start-up; nothing on the request path, no endpoint.
 */
export function recordMountedRoutes(instance: FastifyInstance): void {
  const routes: MountedRoute[] = [];
  recorded.set(instance, routes);
  instance.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
}

export function mountedRoutes(instance: FastifyInstance): readonly MountedRoute[] {
  return recorded.get(instance) ?? [];
}
