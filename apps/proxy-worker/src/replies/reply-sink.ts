import type { ProxyReply } from '@gatehouse/queue';

/** Where a request's outcome goes: a sync request's reply stream, or an async job's row. */
export interface ReplySink {
  send(reply: ProxyReply): Promise<void>;
  /** Replies ready together, in order, in one write: all of them land, or none. */
  sendAll?(replies: readonly ProxyReply[]): Promise<void>;
}

/** Sends `replies` in order: in one write where the sink can, else one after another. */
export async function sendAll(sink: ReplySink, replies: readonly ProxyReply[]): Promise<void> {
  if (sink.sendAll) return sink.sendAll(replies);
  for (const reply of replies) await sink.send(reply);
}
