import { type ModelPrice, withOutputCap } from '@gatehouse/budgets';
import { ENDPOINTS, pickForwardedHeaders } from '@gatehouse/providers';
import { PROXY_JOB_VERSION, type ProxyEndpoint, type ProxyJobData } from '@gatehouse/queue';
import type { FastifyRequest } from 'fastify';
import type { ClientKey } from '../auth/principal.js';
import type { HeldReservation } from '../budgets/budget-reservations.js';
import { clientFacts } from '../http/request-context.js';

/** What a sync request and an async job each decide for their proxy job. */
export type ProxyJobParts = {
  requestId: string;
  key: ClientKey;
  endpoint: ProxyEndpoint;
  model: string;
  stream: boolean;
  /** The validated body, personal data already masked. */
  body: Record<string, unknown>;
  reply: ProxyJobData['reply'];
  deadline: number;
  reservation?: HeldReservation;
  /** A sync request's concurrency-slot sets (see ProxyJobData.slots). */
  slots?: string[];
  price: ModelPrice | undefined;
};

/**
 * The one place a proxy job's payload is built, for the sync path and async jobs alike: the
 * body with the reservation's output cap, only the headers the provider needs, the client facts
 * for audit records, the budget hold and the price.
 */
export function proxyJobData(req: FastifyRequest, parts: ProxyJobParts): ProxyJobData {
  const { endpoint, reservation } = parts;
  return {
    v: PROXY_JOB_VERSION,
    requestId: parts.requestId,
    keyId: parts.key.id,
    endpoint,
    model: parts.model,
    stream: parts.stream,
    body: withOutputCap(parts.body, reservation?.outputCap),
    headers: pickForwardedHeaders(ENDPOINTS[endpoint].provider, req.headers),
    reply: parts.reply,
    deadline: parts.deadline,
    client: clientFacts(req),
    ...(reservation ? { budget: reservation.hold } : {}),
    price: parts.price,
    ...(parts.slots?.length ? { slots: parts.slots } : {}),
  };
}
