import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { Cancellation } from './cancellation.js';

describe('Cancellation', () => {
  it('tells each listener once, on the first abort', () => {
    const cancel = new Cancellation();
    const heard: string[] = [];
    cancel.onAbort(() => heard.push('a'));
    cancel.onAbort(() => heard.push('b'));
    expect(cancel.aborted).toBe(false);
    cancel.abort();
    cancel.abort();
    expect(cancel.aborted).toBe(true);
    expect(heard).toEqual(['a', 'b']);
  });

  it('runs a listener at once when already cancelled', () => {
    const cancel = new Cancellation();
    cancel.abort();
    let heard = 0;
    cancel.onAbort(() => heard++);
    expect(heard).toBe(1);
  });

  it('forgets a listener that was removed, and keeps none after', () => {
    const cancel = new Cancellation();
    let heard = 0;
    const stop = cancel.onAbort(() => heard++);
    stop();
    expect(cancel.listenerCount('abort')).toBe(0);
    cancel.abort();
    expect(heard).toBe(0);
  });

  describe('as an undici request signal', () => {
    let server: Server;
    let url: string;
    let closed: Promise<void>;

    beforeEach(async () => {
      let onClose: () => void = () => undefined;
      closed = new Promise((resolve) => (onClose = resolve));
      // Answers the head, then never finishes the body: only a cancellation ends the call.
      server = createServer((req, res) => {
        req.socket.on('close', onClose);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });

    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('aborts a call in flight and closes its connection', async () => {
      const cancel = new Cancellation();
      const res = await request(url, { method: 'POST', body: '{}', signal: cancel });
      const reading = (async () => {
        for await (const chunk of res.body) void chunk;
      })();
      cancel.abort();
      await expect(reading).rejects.toThrow(/aborted/i);
      await closed;
      expect(cancel.listenerCount('abort')).toBe(0);
    });

    it('never sends a call cancelled before it starts', async () => {
      let requests = 0;
      server.on('request', () => requests++);
      const cancel = new Cancellation();
      cancel.abort();
      await expect(request(url, { method: 'POST', body: '{}', signal: cancel })).rejects.toThrow(
        /aborted/i,
      );
      expect(requests).toBe(0);
    });
  });
});
