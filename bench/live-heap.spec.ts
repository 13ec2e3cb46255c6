import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../test/support/spawn-app.js';
import { inspectableArgs, liveHeapBytes } from './live-heap.js';

const MiB = 1024 * 1024;

/** A Node process that builds 400,000 small objects, keeping them or dropping them. */
async function startApp(keep: boolean): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const script = `
    let made = Array.from({ length: 400000 }, (_, i) => ({ i, label: 'item ' + i }));
    ${keep ? 'globalThis.kept = made;' : 'made = null;'}
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, [...inspectableArgs(port), '-e', script], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await once(child.stdout, 'data');
  return { child, port };
}

/** True once nothing answers on the port (within 2 s). */
async function untilClosed(port: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/json/list`);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('liveHeapBytes', () => {
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const c of started.splice(0)) c.kill('SIGKILL');
  });

  it('reads what a process keeps after a full collection, not the garbage it made', async () => {
    const kept = await startApp(true);
    const dropped = await startApp(false);
    started.push(kept.child, dropped.child);

    const keptBytes = await liveHeapBytes(kept.child.pid!, kept.port);
    const droppedBytes = await liveHeapBytes(dropped.child.pid!, dropped.port);

    // 400,000 objects with their strings hold well over 20 MiB; the process that dropped them,
    // once collected, holds what a bare Node process does.
    expect(keptBytes - droppedBytes).toBeGreaterThan(20 * MiB);
    expect(droppedBytes).toBeLessThan(15 * MiB);
    // The inspector is closed again after each reading, and opened again for the next one.
    await expect(untilClosed(kept.port)).resolves.toBe(true);
    const again = await liveHeapBytes(kept.child.pid!, kept.port);
    expect(Math.abs(again - keptBytes)).toBeLessThan(2 * MiB);
    await expect(untilClosed(kept.port)).resolves.toBe(true);
  });

  it('says so when no inspector answers on the port', async () => {
    const port = await freePort();
    // Not a Node process: nothing opens an inspector on `port`.
    const child = spawn('sleep', ['30']);
    started.push(child);
    await once(child, 'spawn');
    await expect(liveHeapBytes(child.pid!, port)).rejects.toThrow(/no answer/);
  }, 15_000);
});
