import { REDIS, BroadcastPublisher } from '@gatehouse/queue';
import type { AppConfig } from '@gatehouse/config';
import fastifyCors from '@fastify/cors';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { GatewayModule } from './app.module.js';
import { KeyCache } from './auth/key-cache.js';
import { cloudflareAccess } from './cf-access/cf-access.hook.js';
import { relayedAccessKeys } from './cf-access/relayed-access-keys.js';
import { createBroadcastServer } from './events/broadcast.server.js';
import { installEdgeHooks } from './http/edge.js';
import { acceptJsonBodiesOnly } from './http/json-body.js';
import { requestIdOf } from './http/request-id.js';
import { recordMountedRoutes } from './openapi/mounted-routes.js';
import { buildOpenApiDocument } from './openapi/openapi-document.js';
import { GatewayMetrics } from './metrics/gateway-metrics.js';
import { OpenApiDocument } from './openapi/openapi-document.service.js';
import { PriceBook } from './prices/price-book.service.js';
import { InFlightRequests } from './proxy/in-flight-requests.js';
import { ProxyRoutes } from './proxy/proxy-routes.js';
import { QueuesBoard } from './queues-board/queues-board.js';

/**
 * The gateway on Fastify, with everything between the socket and the controllers in order:
 * request id, client address and audit context; security headers; Cloudflare Access when
 * configured; CORS; JSON bodies only; then routing: the proxy endpoints as plain Fastify routes
 * that run admission themselves, every other route through Nest, where one guard (admission)
 * runs before every handler. main.ts and the tests both use this, so tests exercise the same edge.
 */
export async function createGatewayApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.MAX_BODY_BYTES,
    genReqId: requestIdOf,
    requestIdHeader: false,
    trustProxy: false, // the client address is resolved by the edge hook, see client-ip.ts
    logger: false,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(config),
    adapter,
    { bodyParser: false, bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  const instance = app.getHttpAdapter().getInstance();
  recordMountedRoutes(instance);
  installEdgeHooks(instance, config, app.get(GatewayMetrics));
  // After the headers above, so a refusal still carries them; before anything authenticates.
  const access = cloudflareAccess(
    config,
    relayedAccessKeys(app.get(REDIS), app.get(BroadcastPublisher), config.REDIS_KEY_PREFIX),
  );
  if (access) instance.addHook('onRequest', access);
  // Registered here rather than by app.enableCors(), whose hook the adapter runs before every
  // other: a preflight is answered after the request id, the headers and Access, as above.
  await app.register(fastifyCors, {
    origin: config.CORS_ORIGINS.includes('*') ? true : config.CORS_ORIGINS,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'X-Api-Key',
      'X-Request-Id',
      'Idempotency-Key',
    ],
    exposedHeaders: [
      'X-Request-Id',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'Retry-After',
    ],
    maxAge: 600,
  });
  acceptJsonBodiesOnly(instance, config.MAX_BODY_BYTES);
  app.get(ProxyRoutes).mount(instance);
  await app.get(QueuesBoard).mount(app);
  // Built when first asked for, from the app as it is now configured.
  app.get(OpenApiDocument).builtBy(() => buildOpenApiDocument(app));
  app.enableShutdownHooks();
  app.connectMicroservice({
    strategy: createBroadcastServer(config, {
      keyCache: app.get(KeyCache),
      inFlight: app.get(InFlightRequests),
      priceBook: app.get(PriceBook),
    }),
  });
  await app.startAllMicroservices();
  return app;
}
