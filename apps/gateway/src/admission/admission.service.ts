import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import {
  InjectThrottlerOptions,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import { identify } from '../audit-trail/request-context.js';
import type { Access } from '../auth/access.decorator.js';
import { AuthService } from '../auth/auth.service.js';
import type { ClientKey, Principal } from '../auth/principal.js';
import { rateLimitSubject } from '../http/client-ip.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { AuthFailureLockout } from '../throttle/auth-failure-lockout.js';
import { type AdmissionCount, AdmissionCounters, type SlotsToTake } from './admission-counters.js';
import { ConcurrencySlots, type HeldSlots, type SlotClaim } from './concurrency-slots.js';
import { type BudgetPlan, BudgetPlanner, type Spending } from '../budgets/budget-plan.js';
import { budgetRefusal } from '../budgets/budget-exceeded.js';
import { BudgetReservations, type HeldReservation } from '../budgets/budget-reservations.js';
import { budgetState } from '../budgets/budget-state.js';
import { limitStateOf, RateLimited, tighter } from './limit-state.js';
import { type Presented, credentialPrefix } from './presented-credential.js';

/** What a route asks of admission (from its decorators). */
export type AdmissionPolicy = {
  access: Access;
  /** Count the request against the per-IP limit. */
  limitIp: boolean;
  /** Count it against the key's limit (client keys). */
  limitKey: boolean;
  /** The route spends tokens: refuse a key whose budgets are used up. */
  metered: boolean;
  /** An admin route that also takes a console session in place of the admin key. */
  consoleSession: boolean;
};

/** A proxied request: slots while it is in flight, and a budget reservation for what it spends. */
export type ProxyClaim = SlotClaim & Pick<Spending, 'endpoint' | 'body'>;

/** What admission took for a request; the caller gives it back when the request ends. */
export type Admitted = { slots?: HeldSlots; reservation?: HeldReservation };

type Limit = { limit: number; windowMs: number };

/**
 * The front door, in order: the address's lockout and per-IP limit, who the credential belongs
 * to (in-process cache, else the database), the key's own limit and its token budget, then
 * whether this principal may use this route. On the common path (a cached key) every Redis check
 * is one script call; an uncached key costs a second call after the database has answered, so an
 * unknown key never reaches the database before its address has been counted.
 */
@Injectable()
export class Admission {
  private readonly ip: Limit;
  private readonly key: Limit;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectThrottlerOptions() throttlerOptions: ThrottlerModuleOptions,
    private readonly auth: AuthService,
    private readonly counters: AdmissionCounters,
    private readonly lockout: AuthFailureLockout,
    private readonly audit: GatewayAudit,
    private readonly slots: ConcurrencySlots,
    private readonly budgets: BudgetPlanner,
    private readonly reservations: BudgetReservations,
    private readonly metrics: GatewayMetrics,
  ) {
    this.ip = limitNamed(throttlerOptions, 'ip');
    this.key = limitNamed(throttlerOptions, 'key');
    // The admission script counts both in one call, with one window.
    if (this.key.windowMs !== this.ip.windowMs) {
      throw new Error('the ip and key throttlers must share one window (ttl)');
    }
  }

  /**
   * Admits the request or throws (401, 403, 429, or 503 when Redis is down). On success the
   * principal, the tightest limit state and the key's budgets are left on the request. With a
   * claim (a proxied request) the client key's concurrency slots are taken and its budgets
   * reserved in the same script; the caller releases what this returns when the request ends.
   * `vouched` is who a console session stands for (null: a session that has ended) when the
   * request presents no key; it is then counted and checked as that principal.
   */
  async admit(
    req: FastifyRequest,
    policy: AdmissionPolicy,
    presented: Presented,
    claim?: ProxyClaim,
    vouched?: Principal | null,
  ): Promise<Admitted> {
    const subject = rateLimitSubject(req.clientIp);
    const ipLimit = policy.limitIp ? this.ip.limit : 0;
    if (policy.access === 'public') {
      if (ipLimit > 0) {
        this.enforce(req, await this.count(subject, false, ipLimit, undefined, policy));
      }
      return {};
    }

    if (presented?.conflicting) {
      this.enforce(req, await this.count(subject, true, ipLimit, undefined, policy));
      throw new BadRequestException(
        'Send one credential: x-api-key and Authorization carry different keys',
      );
    }
    const known =
      vouched !== undefined
        ? { principal: vouched }
        : presented
          ? this.auth.identify(presented.credential)
          : { principal: null };
    let principal: Principal | null;
    // Slots are taken with the key's counts: a client key on a client route.
    const slotsOf = (p: Principal | null) =>
      claim && p?.kind === 'client' && policy.access === 'client'
        ? this.slots.toTake(claim, p.key, subject)
        : undefined;
    // Budgets are checked on metered routes, and reserved for a proxied request.
    const budgetsOf = (p: Principal | null): BudgetPlan | undefined =>
      p?.kind === 'client' && policy.access === 'client' && policy.metered
        ? this.budgets.plan(p.key, claim) // a claim is what a proxied request spends
        : undefined;
    let slots: SlotsToTake | undefined;
    let budgets: BudgetPlan | undefined;
    if ('principal' in known) {
      principal = known.principal;
      if (this.outsideKeyNetwork(principal, req)) {
        // The address is counted as for any request; the key, which may not be used from here, not.
        this.enforce(req, await this.count(subject, true, ipLimit, undefined, policy));
        throw this.networkRefusal();
      }
      slots = slotsOf(principal);
      budgets = budgetsOf(principal);
      this.enforce(
        req,
        await this.count(subject, true, ipLimit, principal, policy, slots, budgets),
        slots,
        budgets,
      );
    } else {
      this.enforce(req, await this.count(subject, true, ipLimit, undefined, policy));
      principal = await this.auth.lookup(known.lookup);
      if (this.outsideKeyNetwork(principal, req)) throw this.networkRefusal();
      if (principal?.kind === 'client' && policy.access === 'client') {
        slots = slotsOf(principal);
        budgets = budgetsOf(principal);
        this.enforce(
          req,
          await this.count(subject, false, 0, principal, policy, slots, budgets),
          slots,
          budgets,
        );
      }
    }

    const ctx = req.auditContext;
    if (!principal) {
      if (presented) {
        this.audit.record(ctx, 'auth.failed', {
          reason: 'invalid or unknown key',
          ...credentialPrefix(presented),
        });
        await this.lockout.recordFailure(subject, ctx);
      }
      // An ended console session is no guess at a key: not counted as a failed authentication.
      if (vouched === null) {
        throw new UnauthorizedException('The console session has ended; sign in again');
      }
      this.metrics.authFailed('invalid_key');
      throw new UnauthorizedException('Missing or invalid API key');
    }
    identify(ctx, principal.kind, principal.kind === 'client' ? principal.key.id : undefined);
    if (policy.access === 'admin' && principal.kind !== 'admin') {
      this.audit.record(ctx, 'auth.failed', { reason: 'client key on an admin route' });
      this.metrics.authFailed('wrong_key_kind');
      throw new ForbiddenException('This route needs the admin key');
    }
    if (policy.access === 'client' && principal.kind !== 'client') {
      this.audit.record(ctx, 'auth.failed', { reason: 'admin key on a client route' });
      this.metrics.authFailed('wrong_key_kind');
      throw new UnauthorizedException('The admin key is not a client key; use a gateway key here');
    }
    if (Math.random() < this.config.AUDIT_AUTH_OK_SAMPLE_RATE) this.audit.record(ctx, 'auth.ok');
    req.principal = principal;
    return {
      slots: slots && this.slots.held(slots),
      reservation: budgets?.hold && this.reservations.held(budgets.hold, budgets.outputCap),
    };
  }

  /**
   * Reserves a key's budgets for work admitted by other means (an async job, whose route was
   * admitted by the guard before its body was read): one script call, budgets only. Throws the
   * budget's 429 when the reservation does not fit.
   */
  async reserve(
    req: FastifyRequest,
    key: ClientKey,
    spending: Spending,
  ): Promise<HeldReservation | undefined> {
    const budgets = this.budgets.plan(key, spending);
    if (!budgets?.hold) return undefined;
    const count = await this.counters.count({
      subject: rateLimitSubject(req.clientIp),
      checkLockout: false,
      windowMs: this.ip.windowMs,
      ipLimit: 0,
      keyId: key.id,
      keyLimit: 0,
      budgets: budgets.check,
    });
    this.enforce(req, count, undefined, budgets);
    return this.reservations.held(budgets.hold, budgets.outputCap);
  }

  /** A client key used from an address its allowlist does not hold (audited). */
  private outsideKeyNetwork(principal: Principal | null, req: FastifyRequest): boolean {
    if (principal?.kind !== 'client' || principal.key.allowsAddress(req.clientIp)) return false;
    identify(req.auditContext, 'client', principal.key.id);
    this.audit.record(req.auditContext, 'key.ip_denied', {
      allowed_ips: principal.key.allowedIps,
    });
    this.metrics.authFailed('address_not_allowed');
    return true;
  }

  private networkRefusal(): ForbiddenException {
    return new ForbiddenException('This key may not be used from this address');
  }

  private count(
    subject: string,
    checkLockout: boolean,
    ipLimit: number,
    principal: Principal | null | undefined,
    policy: AdmissionPolicy,
    slots?: SlotsToTake,
    budgets?: BudgetPlan,
  ): Promise<AdmissionCount> {
    // Only a client key on a client route is counted as a key: anything else is refused below.
    const key =
      principal?.kind === 'client' && policy.access === 'client' ? principal.key : undefined;
    return this.counters.count({
      subject,
      checkLockout,
      windowMs: this.ip.windowMs,
      ipLimit,
      keyId: key?.id,
      keyLimit: key && policy.limitKey ? (key.requestsPerMinute ?? this.key.limit) : 0,
      slots: key ? slots : undefined,
      budgets: key ? budgets?.check : undefined,
    });
  }

  /** Throws the refusal a count ended in; otherwise notes the tightest limit on the request. */
  private enforce(
    req: FastifyRequest,
    count: AdmissionCount,
    slots?: SlotsToTake,
    budgets?: BudgetPlan,
  ): void {
    const ip = count.ip && limitStateOf(count.ip);
    const key = count.key && limitStateOf(count.key);
    switch (count.verdict) {
      case 'admitted':
        req.limits = tighter(tighter(req.limits, ip), key);
        if (budgets) {
          req.budgets = budgets.budgets.map((b, i) =>
            budgetState(b.name, b.limit, count.budgetsUsed[i] ?? 0, b.period.endsAt),
          );
        }
        return;
      case 'locked':
        this.audit.record(req.auditContext, 'ratelimit.hit', {
          throttler: 'auth-failure',
          locked: true,
        });
        this.metrics.rejected('lockout');
        throw this.lockout.locked(count.lockoutMsLeft);
      case 'ip':
      case 'key': {
        const state = count.verdict === 'ip' ? ip : key;
        if (!state) throw new Error('a refused count carries its state');
        this.audit.record(req.auditContext, 'ratelimit.hit', {
          throttler: count.verdict,
          limit: state.limit,
        });
        this.metrics.rejected(count.verdict === 'ip' ? 'ip_limit' : 'key_limit');
        throw new RateLimited(
          `Rate limit exceeded (${count.verdict}); retry after the Retry-After delay`,
          state.resetSeconds,
          { ...state, remaining: 0 },
        );
      }
      case 'budget': {
        if (!budgets || count.refusedBudget === undefined) {
          throw new Error('a refused budget was asked for');
        }
        req.limits = tighter(tighter(req.limits, ip), key);
        const budget = budgets.budgets[count.refusedBudget];
        this.audit.record(req.auditContext, 'ratelimit.hit', {
          throttler: 'budget',
          budget: budget?.name ?? null,
        });
        this.metrics.rejected('budget');
        throw budgetRefusal(budgets, count.refusedBudget, count.budgetsUsed);
      }
      case 'key-concurrency':
      case 'ip-streams': {
        if (!slots) throw new Error('a full slot set was asked for');
        req.limits = tighter(tighter(req.limits, ip), key);
        this.audit.record(req.auditContext, 'ratelimit.hit', {
          throttler: count.verdict,
          limit: count.verdict === 'key-concurrency' ? slots.keyCap : slots.streamCap,
        });
        this.metrics.rejected(
          count.verdict === 'key-concurrency' ? 'key_concurrency' : 'ip_streams',
        );
        throw this.slots.refusal(count.verdict, slots);
      }
    }
  }
}

/** A named throttler's limit from @nestjs/throttler's module options (numbers only here). */
function limitNamed(options: ThrottlerModuleOptions, name: string): Limit {
  const throttlers: ThrottlerOptions[] = Array.isArray(options) ? options : options.throttlers;
  const found = throttlers.find((t) => t.name === name);
  if (!found || typeof found.limit !== 'number' || typeof found.ttl !== 'number') {
    throw new Error(`throttler "${name}" needs a numeric limit and ttl`);
  }
  return { limit: found.limit, windowMs: found.ttl };
}
