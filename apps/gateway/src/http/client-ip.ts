import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { normalizeIp } from '@nestjs/throttler';
import proxyaddr from 'proxy-addr';

/**
 * Resolves the client address. Forwarding headers are believed only when the socket peer is a
 * configured trusted proxy (nginx); from anyone else they are ignored, so spoofing them cannot
 * move a client into another rate-limit bucket.
 */
export function clientIpResolver(
  trustedProxies: readonly string[],
): (raw: IncomingMessage) => string {
  const trust = proxyaddr.compile([...trustedProxies]);
  const trustsNobody = trustedProxies.length === 0;
  return (raw) => {
    const peer = raw.socket.remoteAddress ?? '';
    if (trustsNobody) return peer;
    const cf = raw.headers['cf-connecting-ip'];
    if (typeof cf === 'string' && isIP(cf.trim()) && trust(peer, 0)) return cf.trim();
    return proxyaddr(raw, trust);
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
