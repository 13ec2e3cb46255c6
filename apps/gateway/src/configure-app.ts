import { REDIS } from '@gatehouse/queue';
import type { AppConfig } from '@gatehouse/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { requestContext } from './audit-trail/request-context.js';
import { KeyCache } from './auth/key-cache.js';
import { cloudflareAccess } from './cf-access/cf-access.middleware.js';
import { relayedAccessKeys } from './cf-access/relayed-access-keys.js';
import { BroadcastPublisher } from './events/broadcast.publisher.js';
import { createBroadcastServer } from './events/broadcast.server.js';
import { clientIpResolver } from './http/client-ip.js';
import { requestId } from './http/request-id.js';
import { apiHelmet, noStore } from './http/security-headers.js';

/**
 * Everything between the socket and the controllers, in order. main.ts and the tests both use
 * this, so tests exercise the same edge the real gateway has.
 */
export async function configureGatewayApp(
  app: NestExpressApplication,
  config: AppConfig,
): Promise<void> {
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId);
  app.use(clientIpResolver(config.TRUSTED_PROXIES));
  app.use(requestContext);
  app.use(apiHelmet);
  app.use(noStore);
  // Before anything that authenticates: with Cloudflare Access configured, no request gets
  // that far without a valid Access token (the refusal still carries the headers above).
  const access = cloudflareAccess(
    config,
    relayedAccessKeys(app.get(REDIS), app.get(BroadcastPublisher), config.REDIS_KEY_PREFIX),
  );
  if (access) app.use(access);
  app.enableCors({
    origin: config.CORS_ORIGINS.includes('*') ? true : config.CORS_ORIGINS,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
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
  app.enableShutdownHooks();
  app.connectMicroservice({ strategy: createBroadcastServer(config, app.get(KeyCache)) });
  await app.startAllMicroservices();
}
