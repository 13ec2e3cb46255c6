import { createServer, type Server, type Socket, connect } from 'node:net';

export type TcpProxy = {
  port: number;
  /** Drops every proxied connection and refuses new ones (accepted, then destroyed at once). */
  cut(): void;
  /** Proxies new connections again. */
  restore(): void;
  close(): Promise<void>;
};

/**
 * A loopback TCP proxy to `targetHost:targetPort`, so a suite can simulate an outage of a
 * shared server (Postgres) for its own app only, without touching the server itself.
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let down = false;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    track(client);
    track(upstream);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });

  const port = await new Promise<number>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res((server.address() as { port: number }).port));
  });

  const dropAll = (): void => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };

  return {
    port,
    cut: () => {
      down = true;
      dropAll();
    },
    restore: () => {
      down = false;
    },
    close: async () => {
      dropAll();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
