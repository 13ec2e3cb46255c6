import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  ForbiddenException,
  Inject,
  Injectable,
  MethodNotAllowedException,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Admission, type AdmissionPolicy } from '../admission/admission.service.js';
import { presentedCredential } from '../admission/presented-credential.js';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import { AllExceptionsFilter } from '../http/all-exceptions.filter.js';
import { bodyRefusalFromHeaders } from '../http/json-body.js';
import { QUEUES_BOARD_CSP } from './queues-board-csp.js';

const BASIC_CHALLENGE = 'Basic realm="Gatehouse admin", charset="UTF-8"';
const BOARD_POLICY: AdmissionPolicy = {
  access: 'admin',
  limitIp: true,
  limitKey: false,
  metered: false,
  consoleSession: false,
};

/**
 * The queue board's front door: Bull Board's routes are a Fastify plugin, outside Nest's guards,
 * so its scope runs this hook on every request. The same admission as the API (per-IP limit,
 * lockout, admin key only; failures audited and counted), with the admin key also accepted as
 * the password of HTTP Basic (any user name; what a browser can send). Refusals are answered
 * here in the gateway's error shape.
 */
@Injectable()
export class QueuesBoardAuth {
  private readonly errors: AllExceptionsFilter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly admission: Admission,
    private readonly audit: GatewayAudit,
  ) {
    this.errors = new AllExceptionsFilter(config);
  }

  /** An async onRequest hook: returns the reply when it answered the request itself. */
  async check(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    try {
      await this.admit(req, reply);
      return undefined;
    } catch (err) {
      this.errors.replyTo(err, req, reply);
      return reply;
    }
  }

  private async admit(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (isCrossSiteWrite(req)) {
      // A browser sends cached Basic credentials with any request, even one another site
      // triggers (a form post): the board's actions only run when the board itself asks.
      this.audit.record(req.auditContext, 'auth.failed', {
        reason: 'cross-site request to the queue board',
      });
      throw new ForbiddenException('Cross-site requests to the queue board are refused');
    }
    const badBody = bodyRefusalFromHeaders(req, this.config.MAX_BODY_BYTES);
    if (badBody) throw badBody;
    const presented = presentedCredential(req.headers, { basic: true });
    try {
      await this.admission.admit(req, BOARD_POLICY, presented);
    } catch (err) {
      // The challenge makes a browser ask for the password; with a key header it is merely noise.
      if (err instanceof UnauthorizedException) {
        reply.header('WWW-Authenticate', BASIC_CHALLENGE);
        throw new UnauthorizedException(
          presented === undefined ? 'The queue board needs the admin key' : 'Invalid admin key',
        );
      }
      if (err instanceof ForbiddenException) {
        throw new ForbiddenException('The queue board needs the admin key');
      }
      throw err;
    }
    reply.header('Content-Security-Policy', QUEUES_BOARD_CSP);
    if (!SAFE_METHODS.has(req.method)) {
      // The board is for looking (see QueuesBoard): no action reaches it.
      throw new MethodNotAllowedException('The queue board is read-only');
    }
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A state-changing request a browser made for another site (`Sec-Fetch-Site`, or an `Origin`
 * that is not this host). Clients that send neither header (curl, scripts) are not browsers.
 */
function isCrossSiteWrite(req: FastifyRequest): boolean {
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
