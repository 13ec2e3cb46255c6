/** Each dependency probe gets this long: a health page must answer even when things hang. */
export const PROBE_TIMEOUT_MS = 1_000;

/** Runs `run` with a deadline; rejects with `timed out` when it does not settle in time. */
export async function bounded<T>(run: () => Promise<T>, ms = PROBE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Like `bounded`, but resolves to undefined instead of failing. */
export async function attempt<T>(
  run: () => Promise<T>,
  ms = PROBE_TIMEOUT_MS,
): Promise<T | undefined> {
  try {
    return await bounded(run, ms);
  } catch {
    return undefined;
  }
}

/** Milliseconds since `start` (from performance.now()), to a tenth. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

/** Fields of a Redis INFO reply (`key:value` lines). */
export function parseRedisInfo(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}
