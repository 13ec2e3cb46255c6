import type { ProxyReply } from '@gatehouse/queue';

/** Where a request's outcome goes: a sync request's reply stream, or an async job's row. */
export interface ReplySink {
  send(reply: ProxyReply): Promise<void>;
}
