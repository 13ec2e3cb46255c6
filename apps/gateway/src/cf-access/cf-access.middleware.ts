import type { AppConfig } from '@gatehouse/config';
import { Logger } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { JWTVerifyGetKey } from 'jose';
import type { ErrorBody } from '../http/error-body.js';
import { createCfAccessVerifier } from './cf-access.verifier.js';

/** The header Cloudflare Access adds to every request it lets through to the origin. */
export const CF_ACCESS_HEADER = 'cf-access-jwt-assertion';

/** Probes the container runtime calls from inside the host: never behind Access. */
const OPEN_PATHS = new Set(['/health', '/ready']);

const DENIED_MESSAGE = 'Access denied';
const UNAVAILABLE_MESSAGE = 'Access verification is temporarily unavailable; try again shortly';

/**
 * Cloudflare Access as a second lock (defence in depth): when CF_ACCESS_TEAM_DOMAIN and
 * CF_ACCESS_AUD are set, a request reaches key auth only with a valid Access token, so a
 * request that bypassed the Cloudflare edge (a leaked tunnel token, a port exposed by mistake)
 * is refused before any key is looked at. Off (undefined) when not configured.
 */
export function cloudflareAccess(
  config: AppConfig,
  relayedKeys?: JWTVerifyGetKey,
): RequestHandler | undefined {
  if (!config.CF_ACCESS_TEAM_DOMAIN || !config.CF_ACCESS_AUD) return undefined;
  const verify = createCfAccessVerifier(
    {
      teamDomain: config.CF_ACCESS_TEAM_DOMAIN,
      audience: config.CF_ACCESS_AUD,
      jwksUrl: config.CF_ACCESS_JWKS_URL,
    },
    config.CF_ACCESS_JWKS_SOURCE === 'relay' ? relayedKeys : undefined,
  );
  const logger = new Logger('CloudflareAccess');

  return (req: Request, res: Response, next: NextFunction): void => {
    if (OPEN_PATHS.has(req.path) || isCorsPreflight(req)) return next();
    const token = req.headers[CF_ACCESS_HEADER];
    if (typeof token !== 'string' || token.length === 0 || token.length > 16_384) {
      logger.warn({ request_id: req.id, reason: 'ERR_CF_ACCESS_TOKEN_MISSING' }, 'access denied');
      deny(req, res, 403, DENIED_MESSAGE);
      return;
    }
    verify(token).then(
      (verdict) => {
        if (verdict.ok) return next();
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
          deny(req, res, 503, UNAVAILABLE_MESSAGE);
        } else {
          logger.warn(fields, 'access denied');
          deny(req, res, 403, DENIED_MESSAGE);
        }
      },
      (err: unknown) => next(err),
    );
  };
}

/** Browsers send preflights without credentials; Access lets them through when told to. */
function isCorsPreflight(req: Request): boolean {
  return (
    req.method === 'OPTIONS' &&
    typeof req.headers.origin === 'string' &&
    typeof req.headers['access-control-request-method'] === 'string'
  );
}

function deny(req: Request, res: Response, status: 403 | 503, message: string): void {
  const body: ErrorBody = {
    error: {
      type: status === 403 ? 'permission_denied' : 'service_unavailable',
      message,
      request_id: req.id,
    },
  };
  res.status(status).json(body);
}
