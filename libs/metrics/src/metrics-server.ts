import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { bearerTokenCheck } from './bearer-token.js';

export type MetricsServerOptions = {
  registry: Registry;
  host: string;
  port: number;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string;
};

export const METRICS_PATH = '/metrics';

/**
 * The scrape endpoint on a listener of its own (node:http, not the app's Fastify): it never
 * shares the public port, runs none of the public edge's hooks, and answers one path only.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<Server> {
  const authorized = options.token ? bearerTokenCheck(options.token) : () => true;
  const server = createServer((req, res) => {
    void answer(req, res, options.registry, authorized);
  });
  // A scraper keeps its connection open between scrapes; nothing else should linger.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** The port a started server listens on (METRICS_PORT=0 picks a free one: tests). */
export function listeningPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

export function stopMetricsServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  registry: Registry,
  authorized: (authorization: string | undefined) => boolean,
): Promise<void> {
  const path = req.url?.split('?', 1)[0];
  if (path !== METRICS_PATH) return plain(res, 404, 'Not found');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return plain(res, 405, 'Method not allowed');
  }
  if (!authorized(req.headers.authorization)) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    return plain(res, 401, 'Unauthorized');
  }
  try {
    const body = await registry.metrics();
    res.writeHead(200, {
      'Content-Type': registry.contentType,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    // A collector failed (its cause is its own to log): no partial exposition.
    plain(res, 500, 'Metrics collection failed');
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(`${text}\n`);
}
