import { BlockList, isIP } from 'node:net';

/** Most entries one key's allowlist holds. */
export const MAX_ALLOWED_IPS = 100;

type Network = { address: string; prefix: number; family: 'ipv4' | 'ipv6' };

/** An address (`203.0.113.7`, `2001:db8::5`) or a CIDR (`10.0.0.0/8`, `2001:db8:1::/64`). */
export function parseNetwork(entry: string): Network | undefined {
  const [address = '', bits, extra] = entry.trim().split('/');
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The entries as stored: trimmed, without duplicates, in the order given. */
export function normalizeNetworks(entries: readonly string[]): string[] {
  return [...new Set(entries.map((e) => e.trim()))];
}

/**
 * Whether a key's allowlist lets a client address in: any address when the list is empty. Built
 * once per key (keys are cached), checked per request. An IPv4-mapped IPv6 address is checked as
 * the IPv4 address it is.
 */
export function networkAllowlist(entries: readonly string[]): (clientIp: string) => boolean {
  if (entries.length === 0) return () => true;
  const list = new BlockList();
  for (const entry of entries) {
    const network = parseNetwork(entry);
    // Stored entries were validated on the way in; one that no longer parses allows nothing.
    if (network) list.addSubnet(network.address, network.prefix, network.family);
  }
  return (clientIp) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(clientIp)?.[1];
    const address = mapped ?? clientIp;
    const version = isIP(address);
    if (version === 0) return false;
    return list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  };
}
