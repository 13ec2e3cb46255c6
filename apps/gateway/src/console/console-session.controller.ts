import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import { AdminOnly, KeyRequired } from '../auth/access.decorator.js';
import type { ConsoleSession } from './console-session.js';
import { ConsoleSessions } from './console-sessions.service.js';
import { isSameOriginRequest, sessionCookie, sessionCookieOf } from './console-request-checks.js';

/** What the console page learns of its session: never the session id (that is the cookie's). */
export type ConsoleSessionView = {
  csrf_token: string;
  expires_at: string;
  idle_timeout_seconds: number;
};

/**
 * The console's session: sign in with the admin key (once, in `x-api-key`; admission checks it,
 * counts failures toward the per-address lockout and audits them), read the session's CSRF token
 * after a reload, sign out. The admin key is never stored: the cookie carries a random session id.
 * Not in the API document: these are the console's, not an API for programs.
 */
@ApiExcludeController()
@AdminOnly()
@Controller('api/v1/admin/session')
export class ConsoleSessionController {
  private readonly secureCookie: boolean;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sessions: ConsoleSessions,
    private readonly audit: GatewayAudit,
  ) {
    this.secureCookie = config.NODE_ENV !== 'development';
  }

  @Post()
  @KeyRequired()
  @HttpCode(201)
  async signIn(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!isSameOriginRequest(req.headers)) {
      this.audit.record(req.auditContext, 'auth.failed', {
        reason: 'cross-site console sign-in',
      });
      throw new ForbiddenException('Sign in from the console page itself');
    }
    // A new id at every sign-in: a session id planted before sign-in is worth nothing after it.
    const previous = sessionCookieOf(req.headers);
    const old = previous === undefined ? null : await this.sessions.resolve(previous);
    if (old) await this.sessions.destroy(old);
    const { id, session } = await this.sessions.create();
    req.auditContext.session = session.ref;
    this.audit.record(req.auditContext, 'console.login');
    void reply.code(201).header('Set-Cookie', this.cookie(id)).send(this.view(session));
  }

  @Get()
  current(@Req() req: FastifyRequest): ConsoleSessionView {
    return this.view(this.sessionOf(req));
  }

  @Delete()
  async signOut(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = this.sessionOf(req);
    await this.sessions.destroy(session);
    this.audit.record(req.auditContext, 'console.logout');
    void reply.code(204).header('Set-Cookie', this.cookie(null)).send();
  }

  private sessionOf(req: FastifyRequest): ConsoleSession {
    if (!req.consoleSession)
      throw new NotFoundException('This request was made without a console session');
    return req.consoleSession;
  }

  private cookie(id: string | null): string {
    return sessionCookie(id, {
      secure: this.secureCookie,
      maxAgeSeconds: this.sessions.maxLifetimeSeconds,
    });
  }

  private view(session: ConsoleSession): ConsoleSessionView {
    return {
      csrf_token: session.csrf,
      expires_at: new Date(session.expires_at).toISOString(),
      idle_timeout_seconds: this.sessions.idleTimeoutSeconds,
    };
  }
}
