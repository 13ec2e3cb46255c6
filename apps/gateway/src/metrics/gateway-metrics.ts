import { InjectMetricsRegistry } from '@gatehouse/metrics';
import type { ProxyEndpoint } from '@gatehouse/queue';
import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Why admission refused a request: bounded, one label value each. */
export type AdmissionRejection =
  'ip_limit' | 'key_limit' | 'lockout' | 'budget' | 'key_concurrency' | 'ip_streams' | 'pii_block';

/** Why a credential was refused (401/403): bounded, never the key or its prefix. */
export type AuthFailure = 'invalid_key' | 'wrong_key_kind' | 'address_not_allowed';

/** Who made a request: the kind of principal, never which key. */
type KeyClass = 'client' | 'admin' | 'anonymous';

/** Requests no route matched (404s): one label value, not the raw URL. */
const UNMATCHED_ROUTE = 'unmatched';

const OVERHEAD_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type RequestChildren = Record<KeyClass, Counter.Internal>;

/**
 * The gateway's instruments. The request path records through children cached per label
 * combination (route template × status × key class, all bounded), so a request costs a few map
 * lookups and an increment, no label objects.
 */
@Injectable()
export class GatewayMetrics {
  private readonly requests: Counter<'route' | 'status' | 'key_class'>;
  private readonly requestChildren = new Map<string, Map<number, RequestChildren>>();
  private readonly rejections: Record<AdmissionRejection, Counter.Internal>;
  private readonly authFailures: Record<AuthFailure, Counter.Internal>;
  private readonly overhead: Record<
    ProxyEndpoint,
    Record<'json' | 'stream', Histogram.Internal<'endpoint' | 'mode'>>
  >;
  readonly openStreams: Gauge;

  constructor(@InjectMetricsRegistry() registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'HTTP requests answered, by route template, status and key class (anonymous: no principal admitted, e.g. refused by a limit first)',
      labelNames: ['route', 'status', 'key_class'] as const,
      registers,
    });
    const rejections = new Counter({
      name: 'gatehouse_admission_rejections_total',
      help: 'Requests refused by admission, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    this.rejections = {
      ip_limit: rejections.labels('ip_limit'),
      key_limit: rejections.labels('key_limit'),
      lockout: rejections.labels('lockout'),
      budget: rejections.labels('budget'),
      key_concurrency: rejections.labels('key_concurrency'),
      ip_streams: rejections.labels('ip_streams'),
      pii_block: rejections.labels('pii_block'),
    };
    const authFailures = new Counter({
      name: 'gatehouse_auth_failures_total',
      help: 'Credentials refused (missing, unknown, wrong kind, or used from a refused address)',
      labelNames: ['reason'] as const,
      registers,
    });
    this.authFailures = {
      invalid_key: authFailures.labels('invalid_key'),
      wrong_key_kind: authFailures.labels('wrong_key_kind'),
      address_not_allowed: authFailures.labels('address_not_allowed'),
    };
    const overhead = new Histogram({
      name: 'gatehouse_gateway_overhead_seconds',
      help:
        "Time to first byte at the gateway minus the upstream's own time (queue hop, worker, " +
        'failed attempts and relaying included)',
      labelNames: ['endpoint', 'mode'] as const,
      buckets: OVERHEAD_BUCKETS,
      registers,
    });
    const byMode = (endpoint: ProxyEndpoint) => ({
      json: overhead.labels(endpoint, 'json'),
      stream: overhead.labels(endpoint, 'stream'),
    });
    this.overhead = {
      'chat.completions': byMode('chat.completions'),
      messages: byMode('messages'),
    };
    this.openStreams = new Gauge({
      name: 'gatehouse_open_streams',
      help: 'Proxied SSE streams being relayed by this gateway',
      registers,
    });
  }

  /** For the edge's onResponse hook: every answered request, once. */
  countRequest(req: FastifyRequest, reply: FastifyReply): void {
    const route = req.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    let byStatus = this.requestChildren.get(route);
    if (!byStatus) {
      byStatus = new Map();
      this.requestChildren.set(route, byStatus);
    }
    let children = byStatus.get(status);
    if (!children) {
      const code = String(status);
      children = {
        client: this.requests.labels(route, code, 'client'),
        admin: this.requests.labels(route, code, 'admin'),
        anonymous: this.requests.labels(route, code, 'anonymous'),
      };
      byStatus.set(status, children);
    }
    children[req.principal?.kind ?? 'anonymous'].inc();
  }

  rejected(reason: AdmissionRejection): void {
    this.rejections[reason].inc();
  }

  authFailed(reason: AuthFailure): void {
    this.authFailures[reason].inc();
  }

  /**
   * At the first byte of a proxied answer. `elapsedMs`: since the gateway received the request
   * (Fastify's reply.elapsedTime); `upstreamMs`: the worker's measure of the upstream's own time
   * before that byte could be sent. Replies from a worker of the previous version carry none.
   */
  firstByte(
    endpoint: ProxyEndpoint,
    stream: boolean,
    elapsedMs: number,
    upstreamMs: number | undefined,
  ): void {
    if (upstreamMs === undefined) return;
    const overheadMs = elapsedMs - upstreamMs;
    this.overhead[endpoint][stream ? 'stream' : 'json'].observe(Math.max(0, overheadMs) / 1000);
  }
}
