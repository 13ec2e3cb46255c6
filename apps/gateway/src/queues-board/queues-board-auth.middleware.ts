import {
  ForbiddenException,
  Injectable,
  type NestMiddleware,
  UnauthorizedException,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import { AuthFailureLockout } from '../throttle/auth-failure-lockout.js';
import { AuthService } from '../auth/auth.service.js';
import { QUEUES_BOARD_CSP } from './queues-board-csp.js';

const BASIC_CHALLENGE = 'Basic realm="Gatehouse admin", charset="UTF-8"';

/**
 * Bull Board is an Express router mounted as middleware, so the global guards never see its
 * requests: this is their guard. The admin key is accepted as the password of HTTP Basic (any
 * user name; what a browser can send), as `x-api-key` or as `Authorization: Bearer`. A client
 * key is refused with 403; failures are audited like the API's (`auth.failed`) and count toward
 * the same brute-force lockout.
 * Errors are thrown, so the global filter answers them in the gateway's error shape.
 */
@Injectable()
export class QueuesBoardAuthMiddleware implements NestMiddleware {
  constructor(
    private readonly auth: AuthService,
    private readonly lockout: AuthFailureLockout,
    private readonly audit: GatewayAudit,
  ) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    if (isCrossSiteWrite(req)) {
      // A browser sends cached Basic credentials with any request, even one another site
      // triggers (a form post): the board's actions only run when the board itself asks.
      this.audit.record('auth.failed', { reason: 'cross-site request to the queue board' });
      throw new ForbiddenException('Cross-site requests to the queue board are refused');
    }
    await this.lockout.assertNotLocked(req, res);
    const presented = presentedCredential(req);
    const principal = presented === undefined ? null : await this.auth.authenticate(presented);
    if (!principal) {
      // The challenge makes a browser ask for the password; with a key header it is merely noise.
      res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
      if (presented !== undefined) {
        this.audit.record('auth.failed', { reason: 'invalid key for the queue board' });
        await this.lockout.recordFailure(req, res);
      }
      throw new UnauthorizedException(
        presented === undefined ? 'The queue board needs the admin key' : 'Invalid admin key',
      );
    }
    this.audit.identify(principal.kind, principal.kind === 'client' ? principal.key.id : undefined);
    if (principal.kind !== 'admin') {
      this.audit.record('auth.failed', { reason: 'client key on the queue board' });
      throw new ForbiddenException('The queue board needs the admin key');
    }
    req.principal = principal;
    res.setHeader('Content-Security-Policy', QUEUES_BOARD_CSP);
    next();
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A state-changing request a browser made for another site (`Sec-Fetch-Site`, or an `Origin`
 * that is not this host). Clients that send neither header (curl, scripts) are not browsers.
 */
function isCrossSiteWrite(req: Request): boolean {
  if (SAFE_METHODS.has(req.method)) return false;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/** The key from `x-api-key`, `Authorization: Bearer` or the password of `Authorization: Basic`. */
function presentedCredential(req: Request): string | undefined {
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  const authorization = req.headers.authorization;
  if (!authorization) return undefined;
  const [scheme = '', value = ''] = authorization.trim().split(/\s+/, 2);
  switch (scheme.toLowerCase()) {
    case 'bearer':
      return value;
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon === -1 ? '' : decoded.slice(colon + 1);
    }
    default:
      // An unknown scheme is a credential nobody can hold: a failure, not an absence.
      return '';
  }
}
