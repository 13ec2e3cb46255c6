import type {
  OpenAPIObject,
  OperationObject,
  ResponseObject,
  SecurityRequirementObject,
} from '@nestjs/swagger';
import {
  budgetHeaderRefs,
  rateLimitHeaderRefs,
  requestIdHeaderRefs,
  retryAfterHeaderRefs,
} from './response-headers.js';
import { CLIENT_SECURITY } from './security-schemes.js';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: malformed JSON, a field that fails validation, or two different credentials',
  401: 'No credential, an unknown, revoked or expired key, or the wrong kind of key',
  403: 'The key may not do this (a client key on an admin route, its networks or models)',
  404: 'Not found (for jobs: also another key’s job; existence is not revealed)',
  409: 'Conflict with the current state',
  413: 'The request body is larger than the configured limit',
  415: 'The request body is not JSON in UTF-8, or is encoded',
  429: 'A rate limit, the failed-authentication lockout, or (`budget_exceeded`) a budget',
  500: 'Unexpected error; the request id finds it in the logs',
  502: 'The upstream provider failed',
  503: 'A dependency (Postgres, Redis, the workers) is unavailable; retry',
  504: 'The upstream provider did not answer in time',
};

/** A response in the shared error shape (components.schemas.ErrorResponse). */
export function errorResponse(status: number, description?: string): ResponseObject {
  return {
    description: description ?? ERROR_DESCRIPTIONS[status] ?? 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
  };
}

type Access = 'public' | 'client' | 'admin' | 'authenticated';

function accessOf(security: SecurityRequirementObject[]): Access {
  const schemes = security.flatMap((s) => Object.keys(s));
  if (schemes.length === 0) return 'public';
  const admin = schemes.some((s) => s.startsWith('admin-'));
  const client = schemes.some((s) => s.startsWith('client-'));
  return admin && client ? 'authenticated' : admin ? 'admin' : 'client';
}

const BODY_METHODS = new Set(['post', 'put', 'patch']);

/** The errors the edge and admission can answer on any route of this kind (see Admission). */
function admissionErrors(access: Access, method: string): number[] {
  const statuses = [500];
  if (access !== 'public') statuses.push(400, 401, 429, 503);
  if (access === 'client' || access === 'admin') statuses.push(403);
  // Every route goes through acceptJsonBodiesOnly: a body that is not JSON, or too large.
  if (BODY_METHODS.has(method)) statuses.push(400, 413, 415);
  return statuses;
}

/**
 * Completes an operation with what every route of its kind does, as the one guard and the edge
 * do it: a route without an access decorator takes a client key (the guard's default); every
 * response carries X-Request-Id; admitted routes count the address (X-RateLimit-*), client
 * routes report the key's budgets (X-Budget-*); 429 and 503 carry Retry-After. A status the
 * route documents itself keeps its own description.
 */
export function completeOperation(method: string, operation: OperationObject): void {
  operation.security ??= [...CLIENT_SECURITY];
  const access = accessOf(operation.security);
  operation.responses ??= {};
  for (const status of admissionErrors(access, method)) {
    operation.responses[String(status)] ??= errorResponse(status);
  }
  for (const [status, response] of Object.entries(operation.responses)) {
    if (!response || '$ref' in response) continue;
    response.headers = {
      ...requestIdHeaderRefs(),
      ...(access !== 'public' ? rateLimitHeaderRefs() : {}),
      ...(access === 'client' ? budgetHeaderRefs() : {}),
      ...(status === '429' || status === '503' ? retryAfterHeaderRefs() : {}),
      ...response.headers,
    };
  }
}

/** Applies completeOperation to every operation of the document. */
export function completeOperations(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const) {
      const operation = item[method];
      if (operation) completeOperation(method, operation);
    }
  }
}
