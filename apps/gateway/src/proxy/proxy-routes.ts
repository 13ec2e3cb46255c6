import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import type { ProxyEndpoint } from '@gatehouse/queue';
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Admission, type AdmissionPolicy, type Admitted } from '../admission/admission.service.js';
import { presentedCredential } from '../admission/presented-credential.js';
import { AllExceptionsFilter } from '../http/all-exceptions.filter.js';
import { PROXY_ROUTES } from './proxy-route-table.js';
import { SyncProxy } from './sync-proxy.service.js';

/** Client keys only, counted per address and per key, within the key's budgets. */
const PROXY_POLICY: AdmissionPolicy = {
  access: 'client',
  limitIp: true,
  limitKey: true,
  metered: true,
  consoleSession: false,
};

/**
 * The proxy endpoints as plain Fastify routes: the hot path of the product, so it skips Nest's
 * router (execution context, guard and pipe chains, parameter decorators) and runs the very same
 * admission the global guard runs, then the proxy, with errors answered by the one error filter.
 * The edge's hooks (request id, headers, Access, CORS, JSON bodies, audit context) apply as to
 * every route. Every other route stays a Nest controller.
 */
@Injectable()
export class ProxyRoutes {
  private readonly errors: AllExceptionsFilter;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly admission: Admission,
    private readonly proxy: SyncProxy,
  ) {
    this.errors = new AllExceptionsFilter(config);
  }

  mount(instance: FastifyInstance): void {
    for (const { path, endpoint } of PROXY_ROUTES) {
      instance.post(
        path,
        // Refusals raised before the handler (the body parser's) are answered the same way.
        { errorHandler: (err, req, reply) => this.errors.replyTo(err, req, reply) },
        (req, reply) => this.handle(endpoint, req, reply),
      );
    }
  }

  private async handle(
    endpoint: ProxyEndpoint,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const ticket = this.proxy.ticket();
    let admitted: Admitted | undefined;
    try {
      admitted = await this.admission.admit(req, PROXY_POLICY, presentedCredential(req.headers), {
        requestId: ticket.requestId,
        leaseEndsAt: ticket.leaseEndsAt,
        // As the body's validation will read it (a non-boolean `stream` is refused there).
        stream: (req.body as { stream?: unknown } | null)?.stream === true,
        endpoint,
        body: req.body,
      });
      const principal = req.principal;
      if (principal?.kind !== 'client') throw new UnauthorizedException('A client key is required');
      await this.proxy.handle(endpoint, principal.key, req, reply, ticket, admitted);
    } catch (err) {
      this.errors.replyTo(err, req, reply);
    } finally {
      admitted?.slots?.release();
      // Given back unless the job took it (the worker settles it then).
      admitted?.reservation?.release();
    }
  }
}
