import type { Socket } from 'node:net';
import { Cluster, Redis } from 'ioredis';

const coalesced = new WeakSet<Socket>();

/**
 * Makes the commands a client issues in one turn of the event loop leave in one socket write,
 * as ioredis' auto-pipelining does, without what that costs per turn: it builds a Pipeline,
 * copies every script defined on the client onto it (BullMQ defines about fifty) and answers
 * each command through another tick. Here the socket is corked at a turn's first write and
 * uncorked once the turn's I/O callbacks have run (setImmediate, when auto-pipelining sends):
 * Node hands the buffered commands to the kernel in one writev. Redis receives the same
 * commands in the same order; only the system calls are fewer.
 *
 * For connections that never block: a blocking command (BZPOPMIN) gains nothing from waiting
 * for company. Applies to every (re)connection of the client, and on a Cluster to each node's.
 * Takes what BullMQ hands out as its client (typed as BullMQ's own interface, an ioredis client
 * at run time); anything else is left as it is.
 */
export function coalesceWrites(client: unknown): void {
  if (client instanceof Cluster) {
    client.on('+node', (node: Redis) => coalesceWrites(node));
    for (const node of client.nodes()) coalesceWrites(node);
    return;
  }
  if (!(client instanceof Redis)) return;
  const onConnection = () => coalesceSocketWrites(client.stream);
  onConnection(); // already connected: its socket now
  client.on('connect', onConnection);
}

/** Corks `socket` at the first write of a turn, uncorks it after the turn (once per socket). */
function coalesceSocketWrites(socket: Socket | undefined): void {
  if (!socket || coalesced.has(socket)) return;
  coalesced.add(socket);
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  // ioredis writes each command with stream.write(); wrapping it on this socket alone keeps
  // every caller (commands, pipelines, the handshake) in one order.
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>): boolean {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return write.apply(this, args);
  } as Socket['write'];
}
