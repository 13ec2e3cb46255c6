import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import type { ConsoleSession } from './console-session.js';
import { ConsoleSessions } from './console-sessions.service.js';
import {
  carriesCsrfToken,
  isSafeMethod,
  isSameOriginRequest,
  sessionCookieOf,
} from './console-request-checks.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session that authorised this request (admin routes only). */
    consoleSession?: ConsoleSession;
  }
}

/**
 * The console's way through the front door: on admin routes only (client routes never read
 * the cookie, and the browser never sends it there: its Path is the admin API), a request
 * without a key may present a console session cookie instead of the admin key.
 */
@Injectable()
export class ConsoleSessionGate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: ConsoleSessions,
    private readonly audit: GatewayAudit,
  ) {}

  get enabled(): boolean {
    return this.config.CONSOLE_ENABLED;
  }

  /**
   * The session the request's cookie names: undefined without a cookie (the request is then
   * treated as presenting nothing), null for a cookie of no live session. A live session is left
   * on the request and named in its audit context.
   */
  async sessionOf(req: FastifyRequest): Promise<ConsoleSession | null | undefined> {
    const id = sessionCookieOf(req.headers);
    if (id === undefined) return undefined;
    const session = await this.sessions.resolve(id);
    if (session) {
      req.consoleSession = session;
      req.auditContext.session = session.ref;
    }
    return session;
  }

  /**
   * After admission: a state-changing request on a session must come from the console itself,
   * a same-origin page that knows the session's CSRF token. Cookies ride along with any request
   * a browser sends; the token and the Fetch metadata do not.
   */
  checkWrite(req: FastifyRequest, session: ConsoleSession): void {
    if (isSafeMethod(req.method)) return;
    if (!isSameOriginRequest(req.headers)) {
      this.audit.record(req.auditContext, 'auth.failed', {
        reason: 'cross-site request on a console session',
      });
      throw new ForbiddenException('Cross-site requests are refused');
    }
    if (!carriesCsrfToken(req.headers, session.csrf)) {
      this.audit.record(req.auditContext, 'auth.failed', {
        reason: 'missing or wrong CSRF token',
      });
      throw new ForbiddenException('This request needs the console session’s CSRF token');
    }
  }
}
