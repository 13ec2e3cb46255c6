import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { networkList, parseNetwork } from '@gatehouse/config';
import { buildConnector } from 'undici';

/**
 * Addresses that are not the public internet: this host, private networks, link-local (cloud
 * metadata services live at 169.254.169.254), carrier-grade NAT, unspecified, multicast and
 * reserved ranges. An upstream that resolves to one of them is refused unless the operator
 * allowed it, so an account cannot point the worker at Redis, Postgres or a metadata endpoint.
 */
const NOT_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64: reaches IPv4 space through a translator
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  // IPv4-mapped addresses (::ffff:a.b.c.d) need no rule: BlockList checks them as IPv4.
  NOT_PUBLIC.addSubnet(net, bits, 'ipv6');
}

export type UpstreamAddressPolicy = {
  /** UPSTREAM_ALLOW_PRIVATE: every address is allowed (a local model server, a test mock). */
  allowPrivate: boolean;
  /** Host names from UPSTREAM_ALLOWED_HOSTS, lower case. */
  hosts: ReadonlySet<string>;
  /** Addresses and networks from UPSTREAM_ALLOWED_HOSTS. */
  networks: BlockList;
};

/** Builds the policy from UPSTREAM_ALLOWED_HOSTS entries: host names, addresses or CIDRs. */
export function upstreamAddressPolicy(
  allowPrivate: boolean,
  allowed: readonly string[],
): UpstreamAddressPolicy {
  // The config has checked every entry is a host name, an address or a CIDR.
  const hosts = new Set(
    allowed.filter((entry) => parseNetwork(entry) === undefined).map((e) => e.toLowerCase()),
  );
  return { allowPrivate, hosts, networks: networkList(allowed) };
}

/** Whether the worker may connect to `address` (an IP) for `hostname`. */
export function mayConnect(
  policy: UpstreamAddressPolicy,
  hostname: string,
  address: string,
): boolean {
  if (policy.allowPrivate || policy.hosts.has(hostname.toLowerCase())) return true;
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  // BlockList checks an IPv4-mapped IPv6 address (::ffff:a.b.c.d) against IPv4 rules too.
  if (policy.networks.check(address, family)) return true;
  return !NOT_PUBLIC.check(address, family);
}

/** A connection refused because of where the upstream host resolves. */
export class UpstreamAddressRefused extends Error {
  readonly code = 'UPSTREAM_ADDRESS_REFUSED';
  constructor(hostname: string) {
    super(
      `upstream host ${hostname} resolves to a non-public address; ` +
        'allow it with UPSTREAM_ALLOWED_HOSTS or UPSTREAM_ALLOW_PRIVATE',
    );
  }
}

/**
 * A DNS lookup that drops the addresses the policy refuses, and fails when none is left. It runs
 * for every new connection, on the address the socket then connects to, so a name that
 * resolves to a public address once and to a private one later (DNS rebinding) gains nothing.
 */
function guardedLookup(policy: UpstreamAddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, found) => {
      if (err) return callback(err, '', 0);
      const allowed = found.filter((a) => mayConnect(policy, hostname, a.address));
      const first = allowed[0];
      if (!first) return callback(new UpstreamAddressRefused(hostname), '', 0);
      if (options.all) {
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      } else {
        callback(null, first.address, first.family);
      }
    });
  };
}

/** undici's connector, with every connection's destination checked against the policy. */
export function guardedConnector(
  policy: UpstreamAddressPolicy,
  timeoutMs: number,
): buildConnector.connector {
  const connect = buildConnector({ timeout: timeoutMs, lookup: guardedLookup(policy) });
  return (options, callback) => {
    // A literal address is never looked up: check it here.
    if (isIP(options.hostname) !== 0 && !mayConnect(policy, options.hostname, options.hostname)) {
      callback(new UpstreamAddressRefused(options.hostname), null);
      return;
    }
    connect(options, callback);
  };
}
