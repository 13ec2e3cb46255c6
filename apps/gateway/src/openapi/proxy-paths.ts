import { FORWARDED_CLIENT_HEADERS, ENDPOINTS, requestBodyJsonSchema } from '@gatehouse/providers';
import type { ParameterObject, PathsObject } from '@nestjs/swagger';
import type { ProxyRoute } from '../proxy/proxy-route-table.js';
import { errorResponse } from './admission-responses.js';
import { CLIENT_SECURITY } from './security-schemes.js';

function forwardedHeaders(route: ProxyRoute): ParameterObject[] {
  return FORWARDED_CLIENT_HEADERS[ENDPOINTS[route.endpoint].provider].map((name) => ({
    name,
    in: 'header',
    required: false,
    description: 'Forwarded to the provider (the only client header that is)',
    schema: { type: 'string', maxLength: 200 },
  }));
}

/**
 * The proxy endpoints' part of the document, from the table ProxyRoutes mounts them from: they
 * are plain Fastify routes, which Nest's document scanner does not see.
 */
export function proxyPaths(routes: readonly ProxyRoute[]): PathsObject {
  const paths: PathsObject = {};
  for (const route of routes) {
    paths[route.path] = {
      post: {
        operationId: `proxy_${route.endpoint.replace('.', '_')}`,
        tags: ['proxy'],
        summary: route.summary,
        description: route.description,
        security: [...CLIENT_SECURITY],
        parameters: forwardedHeaders(route),
        requestBody: {
          required: true,
          content: { 'application/json': { schema: requestBodyJsonSchema(route.endpoint) } },
        },
        responses: {
          '200': {
            description: "The provider's answer: JSON, or an SSE stream when `stream` is true",
            content: {
              'application/json': { schema: route.response },
              'text/event-stream': {
                schema: {
                  type: 'string',
                  description: `Server-Sent Events; each \`data:\` line holds JSON: ${
                    route.streamEvent.description ?? 'an event'
                  }. An error after the stream began arrives as an \`error\` event.`,
                },
              },
            },
          },
          '400': errorResponse(
            400,
            'Invalid body (the field is named), or (`pii_detected`) personal data under a block policy',
          ),
          '403': errorResponse(
            403,
            'A model the key may not use, an address outside its networks, or (`price_unknown`) a ' +
              'model without a price on a key with a cost budget',
          ),
          '502': errorResponse(502),
          '504': errorResponse(504),
        },
      },
    };
  }
  return paths;
}
