import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../test/support/spawn-app.js';
import { liveHeapBytes } from './live-heap.js';
import { type Child, spawnNode, waitFor } from './system.js';

const MiB = 1024 * 1024;

/** A Node process, spawned as the bench spawns its apps, that keeps or drops 400,000 objects. */
async function startApp(keep: boolean): Promise<{ app: Child; port: number }> {
  const port = await freePort();
  const script = `
    let made = Array.from({ length: 400000 }, (_, i) => ({ i, label: 'item ' + i }));
    ${keep ? 'globalThis.kept = made;' : 'made = null;'}
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);
  `;
  const app = spawnNode(keep ? 'keeps' : 'drops', '-e', {}, [], {
    args: [script],
    inspectPort: port,
  });
  await once(app.child.stdout!, 'data');
  return { app, port };
}

/** Resolves once nothing answers on the port (within 2 s), else fails. */
function untilClosed(port: number): Promise<void> {
  return waitFor(
    `inspector on port ${port} still open`,
    () =>
      fetch(`http://127.0.0.1:${port}/json/list`).then(
        () => false,
        () => true,
      ),
    2_000,
  );
}

describe('liveHeapBytes', () => {
  const apps: Child[] = [];
  const others: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of others.splice(0)) c.kill('SIGKILL');
    await Promise.all(apps.splice(0).map((a) => a.stop()));
  });

  it('reads what a process keeps after a full collection, not the garbage it made', async () => {
    const kept = await startApp(true);
    const dropped = await startApp(false);
    apps.push(kept.app, dropped.app);

    const keptBytes = await liveHeapBytes(kept.app.child.pid!, kept.port);
    const droppedBytes = await liveHeapBytes(dropped.app.child.pid!, dropped.port);

    // 400,000 objects with their strings hold well over 20 MiB; the process that dropped them,
    // once collected, holds what a bare Node process does.
    expect(keptBytes - droppedBytes).toBeGreaterThan(20 * MiB);
    expect(droppedBytes).toBeLessThan(15 * MiB);
    // The inspector is closed again after each reading, and opened again for the next one.
    await untilClosed(kept.port);
    const again = await liveHeapBytes(kept.app.child.pid!, kept.port);
    expect(Math.abs(again - keptBytes)).toBeLessThan(2 * MiB);
    await untilClosed(kept.port);
  });

  it('says so when no inspector answers on the port', async () => {
    const port = await freePort();
    // Not a Node process: nothing opens an inspector on `port`.
    const child = spawn('sleep', ['30']);
    others.push(child);
    await once(child, 'spawn');
    await expect(liveHeapBytes(child.pid!, port)).rejects.toThrow(/no answer/);
  }, 15_000);
});
