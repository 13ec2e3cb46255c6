import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ACCESS_METADATA, type Access, KEY_REQUIRED_METADATA } from '../auth/access.decorator.js';
import { ConsoleSessionGate } from '../console/console-session-gate.js';
import { type AdmissionPolicy, Admission } from './admission.service.js';
import { METERS_TOKENS_METADATA } from './meters-tokens.decorator.js';
import { presentedCredential } from './presented-credential.js';
import type { Principal } from '../auth/principal.js';

/** @nestjs/throttler's @SkipThrottle({ <name>: true }) metadata key (not exported by it). */
const SKIP_THROTTLE = 'THROTTLER:SKIP';
const ADMIN: Principal = { kind: 'admin' };

/**
 * The only global guard: reads what the route asks (its decorators, once per handler) and hands
 * the request to admission. Every route needs a client key unless marked @Public or @AdminOnly.
 */
@Injectable()
export class AdmissionGuard implements CanActivate {
  private readonly policies = new WeakMap<object, AdmissionPolicy>();

  constructor(
    private readonly reflector: Reflector,
    private readonly admission: Admission,
    private readonly console: ConsoleSessionGate,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const policy = this.policyOf(context);
    const presented = policy.access === 'public' ? undefined : presentedCredential(req.headers);
    // Only admin routes look for a console session, and only when no key was presented: the
    // client path does no work for it.
    const session =
      policy.consoleSession && presented === undefined
        ? await this.console.sessionOf(req)
        : undefined;
    const vouched = session === undefined ? undefined : session && ADMIN;
    await this.admission.admit(req, policy, presented, undefined, vouched);
    if (session) this.console.checkWrite(req, session);
    return true;
  }

  private policyOf(context: ExecutionContext): AdmissionPolicy {
    const handler = context.getHandler();
    let policy = this.policies.get(handler);
    if (!policy) {
      const targets = [handler, context.getClass()];
      const read = <T>(key: string) =>
        this.reflector.getAllAndOverride<T | undefined>(key, targets);
      const access = read<Access>(ACCESS_METADATA) ?? 'client';
      policy = {
        access,
        limitIp: read<boolean>(`${SKIP_THROTTLE}ip`) !== true,
        limitKey: read<boolean>(`${SKIP_THROTTLE}key`) !== true,
        metered: read<boolean>(METERS_TOKENS_METADATA) === true,
        consoleSession:
          access === 'admin' &&
          this.console.enabled &&
          read<boolean>(KEY_REQUIRED_METADATA) !== true,
      };
      this.policies.set(handler, policy);
    }
    return policy;
  }
}
