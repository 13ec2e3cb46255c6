import { isIP } from 'node:net';
import { normalizeIp } from '@nestjs/throttler';
import type { NextFunction, Request, Response } from 'express';
import proxyaddr from 'proxy-addr';

/**
 * Resolves the client address. Forwarding headers are believed only when the socket peer is a
 * configured trusted proxy (nginx); from anyone else they are ignored, so spoofing them cannot
 * move a client into another rate-limit bucket.
 */
export function clientIpResolver(trustedProxies: readonly string[]) {
  const trust = proxyaddr.compile([...trustedProxies]);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const peer = req.socket.remoteAddress ?? '';
    const cf = req.headers['cf-connecting-ip'];
    if (typeof cf === 'string' && isIP(cf.trim()) && trust(peer, 0)) {
      req.clientIp = cf.trim();
    } else {
      req.clientIp = proxyaddr(req, trust);
    }
    next();
  };
}

/**
 * The subject an address is limited as: IPv4 (and IPv4-mapped IPv6) as is, IPv6 by its /64,
 * since one client is routinely given a whole /64 and could otherwise rotate through it to get
 * a fresh rate-limit or lockout bucket per request.
 */
export function rateLimitSubject(clientIp: string): string {
  return normalizeIp(clientIp);
}
