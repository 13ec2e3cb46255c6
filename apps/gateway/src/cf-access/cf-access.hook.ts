import type { AppConfig } from '@gatehouse/config';
import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JWTVerifyGetKey } from 'jose';
import type { ErrorBody } from '../http/error-body.js';
import { type AccessAudiences, audienceFor } from './access-audience.js';
import { createCfAccessVerifier } from './cf-access.verifier.js';

/** The header Cloudflare Access adds to every request it lets through to the origin. */
export const CF_ACCESS_HEADER = 'cf-access-jwt-assertion';

/** Probes the container runtime calls from inside the host: never behind Access. */
const OPEN_PATHS = new Set(['/health', '/ready']);

const DENIED_MESSAGE = 'Access denied';
const UNAVAILABLE_MESSAGE = 'Access verification is temporarily unavailable; try again shortly';

/**
 * Cloudflare Access as a second lock (defence in depth): when CF_ACCESS_TEAM_DOMAIN,
 * CF_ACCESS_AUD and CF_ACCESS_ADMIN_AUD are set, a request reaches key auth only with a valid
 * Access token of the application that guards its path (the admin one on the admin paths, the
 * client API's elsewhere), so a request that bypassed the Cloudflare edge (a leaked tunnel
 * token, a port exposed by mistake), or that passed only the laxer application, is refused
 * before any key is looked at. Off (undefined) when not configured.
 */
export function cloudflareAccess(
  config: AppConfig,
  relayedKeys?: JWTVerifyGetKey,
): ((req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>) | undefined {
  const { CF_ACCESS_TEAM_DOMAIN: teamDomain } = config;
  if (!teamDomain || !config.CF_ACCESS_AUD || !config.CF_ACCESS_ADMIN_AUD) return undefined;
  const audiences: AccessAudiences = {
    client: config.CF_ACCESS_AUD,
    admin: config.CF_ACCESS_ADMIN_AUD,
  };
  const verify = createCfAccessVerifier(
    { teamDomain, jwksUrl: config.CF_ACCESS_JWKS_URL },
    config.CF_ACCESS_JWKS_SOURCE === 'relay' ? relayedKeys : undefined,
  );
  const logger = new Logger('CloudflareAccess');

  // An async onRequest hook: returning nothing lets the request on; returning the sent reply
  // ends it there.
  return async (req, reply) => {
    if (OPEN_PATHS.has(req.path) || isCorsPreflight(req)) return undefined;
    const token = req.headers[CF_ACCESS_HEADER];
    if (typeof token !== 'string' || token.length === 0 || token.length > 16_384) {
      logger.warn({ request_id: req.id, reason: 'ERR_CF_ACCESS_TOKEN_MISSING' }, 'access denied');
      return deny(req, reply, 403, DENIED_MESSAGE);
    }
    const verdict = await verify(token, audienceFor(req, audiences));
    if (verdict.ok) return undefined;
    // The reason code (and the claim at fault) only: never the token or its claims.
    const fields = {
      request_id: req.id,
      reason: verdict.code,
      claim: 'claim' in verdict ? verdict.claim : undefined,
    };
    if (verdict.reason === 'unavailable') {
      logger.error(
        fields,
        'access verification unavailable: the signing keys could not be fetched',
      );
      return deny(req, reply, 503, UNAVAILABLE_MESSAGE);
    }
    logger.warn(fields, 'access denied');
    return deny(req, reply, 403, DENIED_MESSAGE);
  };
}

/** Browsers send preflights without credentials; Access lets them through when told to. */
function isCorsPreflight(req: FastifyRequest): boolean {
  return (
    req.method === 'OPTIONS' &&
    typeof req.headers.origin === 'string' &&
    typeof req.headers['access-control-request-method'] === 'string'
  );
}

function deny(
  req: FastifyRequest,
  reply: FastifyReply,
  status: 403 | 503,
  message: string,
): FastifyReply {
  const body: ErrorBody = {
    error: {
      type: status === 403 ? 'permission_denied' : 'service_unavailable',
      message,
      request_id: req.id,
    },
  };
  return reply.code(status).send(body);
}
