/** Where the CPU time went, from a V8 `.cpuprofile` (as written by `node --cpu-prof`). */
import { readFileSync } from 'node:fs';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
};
type CpuProfile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
};

export type Slice = { name: string; ms: number; share: number };
export type ProfileSummary = {
  busyMs: number;
  idleMs: number;
  byOrigin: Slice[];
  byFunction: Slice[];
};

/** Groups a script URL: a package name, our own source file, or node's internals. */
function origin(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const own = /\/dist\/(.+)$/.exec(url);
  if (own?.[1]) return `gatehouse:${own[1].split('/').slice(0, 4).join('/')}`;
  return url;
}

function top(map: Map<string, number>, total: number, n: number): Slice[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => ({ name, ms, share: total > 0 ? ms / total : 0 }));
}

/** Self time of each node (ms), counting only samples inside `windows` (monotonic µs) if given. */
function selfTimes(profile: CpuProfile, windows: readonly [number, number][]): Map<number, number> {
  const times = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length === 0) {
    const totalHits = profile.nodes.reduce((s, node) => s + (node.hitCount ?? 0), 0);
    const msPerHit = totalHits > 0 ? (profile.endTime - profile.startTime) / 1000 / totalHits : 0;
    for (const node of profile.nodes) times.set(node.id, (node.hitCount ?? 0) * msPerHit);
    return times;
  }
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    // A sample's weight is the time until the next one.
    const weightUs = deltas[i + 1] ?? 0;
    if (windows.length > 0 && !windows.some(([a, b]) => t >= a && t <= b)) continue;
    const id = samples[i] ?? -1;
    times.set(id, (times.get(id) ?? 0) + weightUs / 1000);
  }
  return times;
}

/**
 * `windows`: monotonic µs ranges (process.hrtime in any process of this machine: V8 stamps
 * profiles with the same clock) to which the summary is restricted; empty = the whole profile.
 */
export function summarizeProfile(
  path: string,
  windows: readonly [number, number][] = [],
  n = 12,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const times = selfTimes(profile, windows);
  const byOrigin = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idleMs = 0;
  let busyMs = 0;
  for (const node of profile.nodes) {
    const ms = times.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const where = origin(url, functionName);
    byOrigin.set(where, (byOrigin.get(where) ?? 0) + ms);
    const fnName = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fnName, (byFunction.get(fnName) ?? 0) + ms);
  }
  return {
    busyMs,
    idleMs,
    byOrigin: top(byOrigin, busyMs, n),
    byFunction: top(byFunction, busyMs, n),
  };
}
