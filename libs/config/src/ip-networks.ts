import { BlockList, isIP } from 'node:net';

/** An IP address (a /32 or /128) or a CIDR, as settings and key allowlists name networks. */
export type IpNetwork = { address: string; prefix: number; family: 'ipv4' | 'ipv6' };

/** `203.0.113.7`, `10.0.0.0/8`, `2001:db8::5`, `2001:db8:1::/64`; undefined for anything else. */
export function parseNetwork(entry: string): IpNetwork | undefined {
  const [address = '', bits, extra] = entry.split('/');
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * The networks among `entries` as one BlockList (entries that are no network are skipped: the
 * caller validated them, or treats them as host names). BlockList checks an IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) against IPv4 networks too.
 */
export function networkList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const network = parseNetwork(entry);
    if (network) list.addSubnet(network.address, network.prefix, network.family);
  }
  return list;
}

/** Whether `address` (an IP) lies in `list`; false for what is no IP address. */
export function inNetworkList(list: BlockList, address: string): boolean {
  const version = isIP(address);
  return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
}
