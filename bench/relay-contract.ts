/** What the bare relay's two halves exchange (bench only). */
export type RelayJob = { id: string; path: string; body: unknown };

/**
 * Messages on the reply channel, parsed without JSON: `<id> <status> <body>` for a whole
 * answer; for a stream, `<id> s <piece>` per piece as the upstream sent it, then `<id> e`.
 */
export const RELAY_STREAM_PIECE = 's';
export const RELAY_STREAM_END = 'e';

export function relayReplyChannel(prefix: string): string {
  return `${prefix}:relay-reply`;
}
