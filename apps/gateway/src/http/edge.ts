import type { AppConfig } from '@gatehouse/config';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { writeLimitHeaders } from '../admission/limit-headers.js';
import { newRequestContext, runInRequestContext } from '../audit-trail/request-context.js';
import { accessLogger } from './access-log.js';
import { clientIpResolver } from './client-ip.js';
import { API_HELMET, helmetHeaders } from './security-headers.js';
import './request-context.js';

/**
 * What every request gets before routing and as it leaves: its id echoed, helmet's security
 * headers, no caching, its client address and audit context, the limit headers admission left,
 * and one log line.
 * (The request id itself is Fastify's genReqId, see requestIdOf.)
 */
export function installEdgeHooks(instance: FastifyInstance, config: AppConfig): void {
  const resolveIp = clientIpResolver(config.TRUSTED_PROXIES);
  const logRequest = accessLogger(config);
  const securityHeaders = helmetHeaders(API_HELMET);
  instance.decorateRequest('clientIp', '');
  instance.decorateRequest('path', '');
  instance.decorateRequest('auditContext', null as never);

  instance.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    req.clientIp = resolveIp(req.raw);
    const query = req.url.indexOf('?');
    req.path = query === -1 ? req.url : req.url.slice(0, query);
    req.auditContext = newRequestContext(req);
    reply.headers(securityHeaders);
    reply.header('X-Request-Id', req.id);
    reply.header('Cache-Control', 'no-store');
    done();
  });

  // After the body was read (its events run outside any context): guards, pipes and the
  // handler run inside the request's audit context.
  instance.addHook('preHandler', (req: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    req.body ??= {};
    runInRequestContext(req.auditContext, done);
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
    logRequest(req, reply);
    done();
  });
}
