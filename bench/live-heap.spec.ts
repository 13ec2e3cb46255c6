import { ShutdownSignal } from '@nestjs/common';
import { once } from 'node:events';
import { liveHeapBytes } from './live-heap.js';
import { sleep } from './stats.js';
import { type Child, spawnNode } from './system.js';

const MiB = 1024 * 1024;

/** Every process a test started, stopped after it (also when a later start fails). */
const apps: Child[] = [];

/** A Node process, spawned as the bench spawns its apps, running `script` after saying ready. */
async function start(name: string, script: string, heapProbe = true): Promise<Child> {
  const app = spawnNode(name, '-e', {}, [], {
    args: [`${script}; process.stdout.write('ready\\n');`],
    heapProbe,
  });
  apps.push(app);
  await once(app.child.stdout!, 'data');
  return app;
}

/** One that keeps (or drops) 400,000 objects and then idles. */
const objects = (keep: boolean) => `
  let made = Array.from({ length: 400000 }, (_, i) => ({ i, label: 'item ' + i }));
  ${keep ? 'globalThis.kept = made;' : 'made = null;'}
  setInterval(() => {}, 1000)`;

describe('liveHeapBytes', () => {
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop()));
  });

  it('reads what a process keeps after a full collection, not the garbage it made', async () => {
    const kept = await start('keeps', objects(true));
    const dropped = await start('drops', objects(false));

    const keptBytes = await liveHeapBytes(kept);
    const droppedBytes = await liveHeapBytes(dropped);

    // 400,000 objects with their strings hold well over 20 MiB; the process that dropped them,
    // once collected, holds what a bare Node process does.
    expect(keptBytes - droppedBytes).toBeGreaterThan(20 * MiB);
    expect(droppedBytes).toBeLessThan(15 * MiB);
    // Read again and again, the process keeps running and answers alike.
    for (let i = 0; i < 5; i++) {
      expect(Math.abs((await liveHeapBytes(kept)) - keptBytes)).toBeLessThan(2 * MiB);
    }
    expect(kept.child.exitCode).toBeNull();
  });

  it('finds its answer among the lines the app writes to stderr at the same time', async () => {
    const chatty = await start(
      'chatty',
      `setInterval(() => process.stderr.write('{"msg":"a log line"}\\n'.repeat(200)), 1)`,
    );
    const bytes = await liveHeapBytes(chatty);
    expect(bytes).toBeGreaterThan(1 * MiB);
    expect(bytes).toBeLessThan(30 * MiB);
  });

  it('leaves a process that has finished its work free to exit', async () => {
    const brief = await start('brief', 'setTimeout(() => {}, 300)');
    // The probe's signal listener holds nothing open: the process ends when its timer does.
    await expect(brief.exited).resolves.toBe(0);
  });

  it('reads an app with Nest shutdown hooks without ending it', async () => {
    // enableShutdownHooks() ends the app on each of these (SIGUSR2 among them).
    const signals = JSON.stringify(Object.values(ShutdownSignal));
    const nestLike = await start(
      'nest-like',
      `for (const s of ${signals}) process.on(s, () => process.exit(9));
       setInterval(() => {}, 1000)`,
    );
    await liveHeapBytes(nestLike);
    await sleep(200); // time for a shutdown hook to end it
    expect(nestLike.child.exitCode).toBeNull();
  });

  it('refuses a process started without the probe, which would never answer', async () => {
    const plain = await start('plain', objects(false), false);
    await expect(liveHeapBytes(plain)).rejects.toThrow(/without heap probe/);
  });

  it('says so when the app exits before it answers', async () => {
    // The app ends on the signal itself, before the probe's deferred reading.
    const quitter = await start('quitter', `process.on('SIGURG', () => process.exit(3))`);
    await expect(liveHeapBytes(quitter)).rejects.toThrow(/exited before its heap was read/);
  });
});
