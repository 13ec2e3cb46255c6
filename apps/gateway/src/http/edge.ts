import type { AppConfig } from '@gatehouse/config';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { writeLimitHeaders } from '../admission/limit-headers.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { newRequestContext } from '../audit-trail/request-context.js';
import { accessLogger } from './access-log.js';
import { clientIpResolver } from './client-ip.js';
import { API_HELMET, helmetHeaders } from './security-headers.js';
import './request-context.js';

/** Longest path recorded (logs, audit, job data); the rest of a longer one is cut. */
export const MAX_RECORDED_PATH = 1024;

/**
 * The path as logs, audit records and job data carry it: without the query string (where
 * careless clients put credentials) and capped, since it is attacker-chosen text that every
 * later redaction would otherwise scan in full.
 */
export function recordedPath(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.length > MAX_RECORDED_PATH ? `${path.slice(0, MAX_RECORDED_PATH)}…` : path;
}

/**
 * What every request gets before routing and as it leaves: its id echoed, helmet's security
 * headers, no caching, its client address and audit context, the limit headers admission left,
 * one log line and its count in the metrics.
 * (The request id itself is Fastify's genReqId, see requestIdOf.)
 */
export function installEdgeHooks(
  instance: FastifyInstance,
  config: AppConfig,
  metrics: GatewayMetrics,
): void {
  const resolveIp = clientIpResolver(config.TRUSTED_PROXIES);
  const accessLog = accessLogger(config);
  instance.addHook('onClose', (_instance, done) => {
    accessLog.close();
    done();
  });
  const securityHeaders = helmetHeaders(API_HELMET);
  instance.decorateRequest('clientIp', '');
  instance.decorateRequest('path', '');
  instance.decorateRequest('auditContext', null as never);

  instance.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    req.clientIp = resolveIp(req.raw);
    req.path = recordedPath(req.url);
    req.auditContext = newRequestContext(req);
    reply.headers(securityHeaders);
    reply.header('X-Request-Id', req.id);
    reply.header('Cache-Control', 'no-store');
    done();
  });

  instance.addHook('preHandler', (req: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    req.body ??= {};
    done();
  });

  instance.addHook(
    'onSend',
    (
      req: FastifyRequest,
      reply: FastifyReply,
      payload: unknown,
      done: (e: null, p: unknown) => void,
    ) => {
      writeLimitHeaders(req, reply);
      done(null, payload);
    },
  );

  instance.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    accessLog.log(req, reply);
    metrics.countRequest(req, reply);
    done();
  });
}
