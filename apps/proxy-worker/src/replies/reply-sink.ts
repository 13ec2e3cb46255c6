import type { ProxyReply } from '@gatehouse/queue';

/** Where a request's outcome goes: a sync request's reply stream, or an async job's row. */
export interface ReplySink {
  send(reply: ProxyReply): Promise<void>;
  /**
   * True when sending a reply that carries usage also adds it to the key's daily token total
   * (in the same round trip); otherwise the caller records usage itself.
   */
  readonly recordsUsage?: boolean;
}
