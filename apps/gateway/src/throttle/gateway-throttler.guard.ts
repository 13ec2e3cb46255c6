import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerException,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler/dist/throttler.guard.interface.js';
import type { Request, Response } from 'express';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import { ACCESS_METADATA, type Access } from '../auth/access.decorator.js';
import { AuthFailureLockout } from './auth-failure-lockout.js';

type LimitState = { limit: number; remaining: number; resetSeconds: number };

const LIMIT_STATES = Symbol('rateLimitStates');
const COUNTED = Symbol('countedThrottlers');
type RequestWithLimits = Request & { [LIMIT_STATES]?: LimitState[]; [COUNTED]?: Set<string> };

/**
 * Runs every configured throttler (per IP, per key) and reports the tightest one in plain
 * `X-RateLimit-*` headers, with `Retry-After` on 429, instead of one header set per throttler.
 *
 * It runs twice, around authentication: the first pass limits by IP (so unauthenticated
 * floods are limited too), the second by key, once the key is known. Each throttler counts a
 * request at most once, whichever pass reaches it.
 */
@Injectable()
export class GatewayThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly audit: GatewayAudit,
    private readonly lockout: AuthFailureLockout,
  ) {
    super(options, storage, reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const { req, res } = this.getRequestResponse(context) as {
      req: RequestWithLimits;
      res: Response;
    };
    // Before authentication, the lockout check rides along with the per-IP count.
    const needsAuth =
      this.reflector.getAllAndOverride<Access | undefined>(ACCESS_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) !== 'public';
    const lockout =
      needsAuth && !req.principal ? this.lockout.assertNotLocked(req, res) : undefined;
    lockout?.catch(() => undefined); // awaited below or by the auth guard
    const allowed = await super.canActivate(context);
    await lockout;
    const states = req[LIMIT_STATES] ?? [];
    const tightest = states.reduce<LimitState | undefined>(
      (min, s) => (!min || s.remaining < min.remaining ? s : min),
      undefined,
    );
    if (tightest) writeHeaders(res, tightest);
    return allowed;
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = props;
    const { req, res } = this.getRequestResponse(context) as {
      req: RequestWithLimits;
      res: Response;
    };
    const name = throttler.name ?? 'default';
    const counted = (req[COUNTED] ??= new Set());
    if (counted.has(name)) return true;
    counted.add(name);
    const tracker = await getTracker(req, context);
    const record = await this.storageService.increment(
      generateKey(context, tracker, name),
      ttl,
      limit,
      blockDuration,
      name,
    );
    const state: LimitState = {
      limit,
      remaining: Math.max(0, limit - record.totalHits),
      resetSeconds: record.timeToExpire,
    };
    if (record.isBlocked) {
      writeHeaders(res, { ...state, remaining: 0 });
      res.setHeader('Retry-After', String(Math.max(1, record.timeToBlockExpire)));
      this.audit.record('ratelimit.hit', { throttler: name, limit });
      throw new ThrottlerException(
        `Rate limit exceeded (${name}); retry after the Retry-After delay`,
      );
    }
    (req[LIMIT_STATES] ??= []).push(state);
    return true;
  }
}

function writeHeaders(res: Response, state: LimitState): void {
  res.setHeader('X-RateLimit-Limit', String(state.limit));
  res.setHeader('X-RateLimit-Remaining', String(state.remaining));
  res.setHeader('X-RateLimit-Reset', String(state.resetSeconds));
}
