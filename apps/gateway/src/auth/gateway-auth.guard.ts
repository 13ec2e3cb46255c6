import {
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { ACCESS_METADATA, type Access } from './access.decorator.js';
import { AuthFailureLockout } from './auth-failure-lockout.js';
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
        await this.lockout.recordFailure(req, res);
      }
      throw err;
    }

    const principal = req.user as Principal;
    if (access === 'admin' && principal.kind !== 'admin') {
      throw new ForbiddenException('This route needs the admin key');
    }
    if (access === 'client' && principal.kind !== 'client') {
      throw new UnauthorizedException('The admin key is not a client key; use a gateway key here');
    }
    req.principal = principal;
    return true;
  }

  override handleRequest<T>(err: unknown, user: T | false): T {
    if (err) throw err instanceof Error ? err : new UnauthorizedException();
    if (!user) throw new UnauthorizedException('Missing or invalid API key');
    return user;
  }
}

function presentsCredential(req: Request): boolean {
  return req.headers['x-api-key'] !== undefined || req.headers.authorization !== undefined;
}
