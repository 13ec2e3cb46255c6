/**
 * The live heap of an app the bench started: what a leak grows. Its resident set does not tell:
 * under load V8 lets garbage pile up for a minute or more before a full collection hands it back
 * (at 2,400 requests a second the gateway's RSS climbs 2 MiB a second while the heap left after
 * each collection holds at 73–75 MiB), so a window of RSS samples is at the mercy of where the
 * collections fall in it.
 *
 * The app is started with the heap probe (spawnNode's `heapProbe`: `--expose-gc` and a module
 * given inline to `--import`). On SIGURG the probe forces two full collections and writes the
 * heap still in use to stderr. SIGURG because nothing else listens to it and its default is to
 * ignore it: SIGUSR1 opens Node's inspector and SIGUSR2 is one of the signals Nest's shutdown
 * hooks end the app on. Nothing of this is in the product: only the bench's children get it, and
 * it opens no port. (Node's inspector did the same over its protocol, but closing it again from a
 * session crashes Node 20 now and then with SIGSEGV.)
 */
import type { Child } from './system.js';

const MARK = 'gatehouse-bench-live-heap';

// Twice: objects freed by the first collection's finalizers go in the second. One write with its
// own line, so it stays whole between the app's log lines.
const PROBE = `process.on('SIGURG', () => {
  gc();
  setImmediate(() => {
    gc();
    process.stderr.write('\\n${MARK} ' + process.memoryUsage().heapUsed + '\\n');
  });
});`;

/** The node flags that load the probe into a process (see above). */
export const HEAP_PROBE_ARGS = [
  '--expose-gc',
  `--import=data:text/javascript;base64,${Buffer.from(PROBE).toString('base64')}`,
];

/**
 * Forces a full collection in the app and returns the bytes its heap still holds (≤ 5 s). A child
 * started without the probe would never answer: refused at once.
 */
export function liveHeapBytes(app: Child, timeoutMs = 5_000): Promise<number> {
  const { child } = app;
  if (!app.heapProbe) return Promise.reject(new Error(`${app.name}: started without heap probe`));
  if (child.exitCode !== null || child.signalCode !== null || child.stderr === null) {
    return Promise.reject(new Error(`${app.name}: not running`));
  }
  const stderr = child.stderr;
  return new Promise<number>((resolve, reject) => {
    // The mark can arrive split over two chunks: keep a short tail of the previous one.
    let tail = '';
    const pattern = new RegExp(`${MARK} (\\d+)\\n`);
    const onData = (chunk: Buffer) => {
      const text = tail + chunk.toString();
      const found = pattern.exec(text);
      if (found) {
        done();
        resolve(Number(found[1]));
      } else tail = text.slice(-64);
    };
    const onExit = () => {
      done();
      reject(new Error(`${app.name}: exited before its heap was read`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${app.name}: heap probe gave no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      stderr.off('data', onData);
      child.off('exit', onExit);
    };
    stderr.on('data', onData);
    child.once('exit', onExit);
    child.kill('SIGURG');
  });
}
