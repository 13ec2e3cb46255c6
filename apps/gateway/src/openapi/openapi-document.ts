import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { PROXY_ROUTES } from '../proxy/proxy-route-table.js';
import { completeOperations } from './admission-responses.js';
import { ErrorResponse } from './error-response.js';
import { proxyPaths } from './proxy-paths.js';
import { headerComponents } from './response-headers.js';
import { withSecuritySchemes } from './security-schemes.js';

const DESCRIPTION = [
  'Gatehouse: a self-hosted gateway for AI APIs.',
  '',
  'Client routes take a gateway key, admin routes (`/api/v1/admin/*`) the admin key, each as',
  '`x-api-key: <key>` or `Authorization: Bearer <key>`. Errors are',
  '`{"error":{"type","message","request_id"}}` (ErrorResponse); every response carries',
  '`X-Request-Id`, admitted requests `X-RateLimit-*`, client routes `X-Budget-*` for the budgets',
  'the key has, and a 429 `Retry-After`.',
].join('\n');

/**
 * The OpenAPI document of the running gateway: Nest's controllers as their decorators describe
 * them, the proxy endpoints from the table they are mounted from, then what every route of a
 * kind shares (see completeOperations). Built from an initialised app, once.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = withSecuritySchemes(
    new DocumentBuilder().setTitle('Gatehouse API').setDescription(DESCRIPTION).setVersion('v1'),
  ).build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ErrorResponse],
    operationIdFactory: (controller, method) =>
      `${controller.replace(/Controller$/, '')}_${method}`,
  });
  document.paths = { ...document.paths, ...proxyPaths(PROXY_ROUTES) };
  document.components = { ...document.components, headers: headerComponents() };
  completeOperations(document);
  return document;
}
