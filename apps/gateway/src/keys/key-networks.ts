import { inNetworkList, networkList, parseNetwork } from '@gatehouse/config';

/** Most entries one key's allowlist holds. */
export const MAX_ALLOWED_IPS = 100;

/** Whether an allowlist entry, as an admin sent it, names an address or a CIDR. */
export function isNetworkEntry(entry: string): boolean {
  return parseNetwork(entry.trim()) !== undefined;
}

/** The entries as stored: trimmed, without duplicates, in the order given. */
export function normalizeNetworks(entries: readonly string[]): string[] {
  return [...new Set(entries.map((e) => e.trim()))];
}

/**
 * Whether a key's allowlist lets a client address in: any address when the list is empty. Built
 * once per key (keys are cached), checked per request; an IPv4-mapped IPv6 address is checked as
 * the IPv4 address it is (BlockList does).
 */
export function networkAllowlist(entries: readonly string[]): (clientIp: string) => boolean {
  if (entries.length === 0) return () => true;
  // Stored entries were validated on the way in; one that no longer parses allows nothing.
  const list = networkList(entries);
  return (clientIp) => inNetworkList(list, clientIp);
}
