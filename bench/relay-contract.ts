/** What the bare relay's two halves exchange (bench only). */
export type RelayJob = { id: string; path: string; body: unknown };

export function relayReplyChannel(prefix: string): string {
  return `${prefix}:relay-reply`;
}
