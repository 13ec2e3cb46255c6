import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import { ACCESS_METADATA, type Access } from './access.decorator.js';
import { AuthFailureLockout } from '../throttle/auth-failure-lockout.js';
import { BEARER_STRATEGY, X_API_KEY_STRATEGY } from './api-key.strategies.js';
import type { Principal } from './principal.js';

/**
 * Global guard: every route needs a client key unless marked @Public or @AdminOnly.
 * Client keys and the admin key never stand in for each other.
 */
@Injectable()
export class GatewayAuthGuard extends AuthGuard([X_API_KEY_STRATEGY, BEARER_STRATEGY]) {
  constructor(
    private readonly reflector: Reflector,
    private readonly lockout: AuthFailureLockout,
    private readonly audit: GatewayAudit,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const access =
      this.reflector.getAllAndOverride<Access | undefined>(ACCESS_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'client';
    if (access === 'public') return true;

    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    await this.lockout.assertNotLocked(req, res);
    try {
      await super.canActivate(context);
    } catch (err) {
      if (err instanceof UnauthorizedException && presentsCredential(req)) {
        this.audit.record('auth.failed', {
          reason: 'invalid or unknown key',
          ...presentedPrefix(req),
        });
        await this.lockout.recordFailure(req, res);
      }
      throw err;
    }

    const principal = req.user as Principal;
    const keyId = principal.kind === 'client' ? principal.key.id : undefined;
    this.audit.identify(principal.kind, keyId);
    if (access === 'admin' && principal.kind !== 'admin') {
      this.audit.record('auth.failed', { reason: 'client key on an admin route' });
      throw new ForbiddenException('This route needs the admin key');
    }
    if (access === 'client' && principal.kind !== 'client') {
      this.audit.record('auth.failed', { reason: 'admin key on a client route' });
      throw new UnauthorizedException('The admin key is not a client key; use a gateway key here');
    }
    if (Math.random() < this.config.AUDIT_AUTH_OK_SAMPLE_RATE) this.audit.record('auth.ok');
    req.principal = principal;
    return true;
  }

  override handleRequest<T>(err: unknown, user: T | false): T {
    if (err) throw err instanceof Error ? err : new UnauthorizedException();
    if (!user) throw new UnauthorizedException('Missing or invalid API key');
    return user;
  }
}

/** A client key's display prefix (`gk_<8 hex>`) is safe to record; nothing else of it is. */
function presentedPrefix(req: Request): { key_prefix?: string } {
  const raw = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer /, '');
  const match = typeof raw === 'string' ? /^gk_[0-9a-f]{8}(?=_)/.exec(raw) : null;
  return match ? { key_prefix: match[0] } : {};
}

function presentsCredential(req: Request): boolean {
  return req.headers['x-api-key'] !== undefined || req.headers.authorization !== undefined;
}
