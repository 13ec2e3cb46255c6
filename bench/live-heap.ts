/**
 * The live heap of an app the bench started: what a leak grows. Its resident set does not tell:
 * under load V8 lets garbage pile up for a minute or more before a full collection hands it back
 * (at 2,400 requests a second the gateway's RSS climbs 2 MiB a second while the heap left after
 * each collection holds at 73–75 MiB), so a window of RSS samples is at the mercy of where the
 * collections fall in it.
 *
 * The app is started with `--inspect-port` (spawnNode's `inspectPort`; no inspector runs then);
 * SIGUSR1 opens Node's inspector on that loopback port, and over its protocol the bench forces a
 * full collection and reads `process.memoryUsage().heapUsed`, then has the process close its
 * inspector again (whoever can reach an open one can run code in the process). Nothing of this is
 * in the product: only the bench's children get the flag.
 */
import { WebSocket } from 'undici';
import { waitFor } from './system.js';

/** Forces a full collection in the process and returns the bytes its heap still holds. */
export async function liveHeapBytes(pid: number, port: number): Promise<number> {
  process.kill(pid, 'SIGUSR1'); // opens the inspector
  const url = await debuggerUrl(port);
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`inspector ${url}: no connection`)), {
        once: true,
      });
    });
    const call = protocolCaller(ws);
    // Twice: objects freed by the first collection's finalizers go in the second.
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const reply = (await call('Runtime.evaluate', {
      expression: 'process.memoryUsage().heapUsed',
      returnByValue: true,
    })) as { result?: { value?: unknown } };
    const bytes = reply.result?.value;
    if (typeof bytes !== 'number') throw new Error('inspector: no heapUsed in the reply');
    // inspector.close() waits for its sessions to end: deferred, it runs once this one has.
    // Guarded: an exception thrown there would be the app's, uncaught.
    await call('Runtime.evaluate', {
      expression:
        "setImmediate(() => { try { process.getBuiltinModule('node:inspector').close(); } catch {} })",
    });
    return bytes;
  } finally {
    ws.close();
  }
}

/** The target's WebSocket address, once the inspector SIGUSR1 opened answers (≤ 5 s). */
async function debuggerUrl(port: number): Promise<string> {
  let url: string | undefined;
  await waitFor(
    `inspector on port ${port}: no answer`,
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/json/list`);
      url = ((await res.json()) as { webSocketDebuggerUrl?: string }[])[0]?.webSocketDebuggerUrl;
      return url !== undefined;
    },
    5_000,
  );
  return url as string;
}

type ProtocolCall = (method: string, params?: Record<string, unknown>) => Promise<unknown>;

/** Calls of the inspector protocol over `ws`, each answered by the reply with its id. */
function protocolCaller(ws: WebSocket): ProtocolCall {
  let lastId = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  ws.addEventListener('message', (event) => {
    const msg = JSON.parse(String(event.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    const waiter = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!waiter || msg.id === undefined) return; // an event, not a reply
    pending.delete(msg.id);
    if (msg.error) waiter.reject(new Error(`inspector: ${msg.error.message}`));
    else waiter.resolve(msg.result);
  });
  ws.addEventListener('close', () => {
    for (const w of pending.values()) w.reject(new Error('inspector: connection closed'));
    pending.clear();
  });
  return (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++lastId;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
}
