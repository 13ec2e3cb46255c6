import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { rateLimitSubject } from '../http/client-ip.js';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

/**
 * Brute-force protection: after AUTH_FAILURE_LIMIT failed authentications from one IP within
 * AUTH_FAILURE_WINDOW_SECONDS, that IP gets 429 on every authenticated route for
 * AUTH_LOCKOUT_SECONDS, whatever key it presents. Counted in Redis, so shared by all replicas.
 */
@Injectable()
export class AuthFailureLockout {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly storage: RedisThrottlerStorage,
    private readonly audit: GatewayAudit,
  ) {}

  private readonly checks = new WeakMap<Request, Promise<void>>();

  /**
   * Rejects (429) when the caller's address is locked out. Checked once per request: the
   * throttler guard starts it alongside its per-IP count (one Redis round trip for both), the
   * auth guard awaits the same promise.
   */
  assertNotLocked(req: Request, res: Response): Promise<void> {
    let check = this.checks.get(req);
    if (!check) {
      check = this.check(req, res);
      this.checks.set(req, check);
    }
    return check;
  }

  private async check(req: Request, res: Response): Promise<void> {
    const remainingMs = await this.storage.blockedFor(this.bucket(req));
    if (remainingMs > 0) {
      this.audit.record('ratelimit.hit', { throttler: 'auth-failure', locked: true });
      throw locked(res, remainingMs, this.config.AUTH_FAILURE_LIMIT);
    }
  }

  async recordFailure(req: Request, res: Response): Promise<void> {
    const record = await this.storage.increment(
      this.bucket(req),
      this.config.AUTH_FAILURE_WINDOW_SECONDS * 1000,
      this.config.AUTH_FAILURE_LIMIT,
      this.config.AUTH_LOCKOUT_SECONDS * 1000,
      'auth-failure',
    );
    if (record.isBlocked) {
      this.audit.record('ratelimit.hit', {
        throttler: 'auth-failure',
        limit: this.config.AUTH_FAILURE_LIMIT,
      });
      throw locked(res, record.timeToBlockExpire * 1000, this.config.AUTH_FAILURE_LIMIT);
    }
  }

  private bucket(req: Request): string {
    return `auth-failure:${rateLimitSubject(req.clientIp)}`;
  }
}

function locked(res: Response, remainingMs: number, limit: number): HttpException {
  const seconds = String(Math.max(1, Math.ceil(remainingMs / 1000)));
  res.setHeader('Retry-After', seconds);
  res.setHeader('X-RateLimit-Limit', String(limit));
  res.setHeader('X-RateLimit-Remaining', '0');
  res.setHeader('X-RateLimit-Reset', seconds);
  return new HttpException(
    'Too many failed authentication attempts from this address; try again later',
    HttpStatus.TOO_MANY_REQUESTS,
  );
}
