import { closeSync, openSync, statSync, unlinkSync, utimesSync } from 'node:fs';

/** How often a standalone app (proxy-worker, audit) touches its heartbeat file. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A heartbeat older than this means the app's event loop has stalled or the app is gone. */
export const HEARTBEAT_MAX_AGE_MS = 30_000;

export type HeartbeatApp = 'proxy-worker' | 'audit';

/** Where an app's heartbeat lives: `HEARTBEAT_FILE`, else a file under /tmp (a tmpfs in compose). */
export function heartbeatFile(app: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.HEARTBEAT_FILE || `/tmp/gatehouse-${app}.heartbeat`;
}

function touch(file: string): void {
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    closeSync(openSync(file, 'a'));
    utimesSync(file, now, now);
  }
}

/**
 * Touches the app's heartbeat file now and every few seconds from the event loop, so a
 * container health check can tell a live process from a hung one. The file is removed when
 * the process exits. The timer never keeps the process alive.
 */
export function startHeartbeat(
  app: HeartbeatApp,
  options: { file?: string; intervalMs?: number } = {},
): { file: string; stop(): void } {
  const file = options.file ?? heartbeatFile(app);
  const beat = (): void => {
    try {
      touch(file);
    } catch (err) {
      // A missing or read-only /tmp makes the health check fail, which is the signal we want.
      process.stderr.write(`${app}: heartbeat ${file}: ${(err as Error).message}\n`);
    }
  };
  beat();
  const timer = setInterval(beat, options.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  timer.unref();
  const remove = (): void => {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.once('exit', remove);
  return {
    file,
    stop: () => {
      clearInterval(timer);
      process.removeListener('exit', remove);
      remove();
    },
  };
}

/** Age of a heartbeat file in ms, or undefined when there is none. */
export function heartbeatAgeMs(file: string, now = Date.now()): number | undefined {
  try {
    return now - statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}
