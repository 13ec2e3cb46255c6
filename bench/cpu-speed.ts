import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';

/** A fixed piece of JavaScript that prints how many milliseconds it took. */
const LOOP =
  'const t = process.hrtime.bigint(); let x = 0; for (let i = 0; i < 2e8; i++) x += i % 7; ' +
  'process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6 + (x < 0 ? 1 : 0)));';

export type CpuSpeed = { cpu: number; ms: number };

/**
 * How long each CPU takes for the same loop, run alone and pinned to it (`taskset`), best of
 * `runs`. Load average misses a CPU that is slow for reasons outside this machine (a host's busy
 * sibling thread, steal it does not report), and one slow CPU of two moves every figure of a
 * run. Undefined when a figure cannot be had (no `taskset`, or a CPU it may not use).
 */
export function cpuSpeeds(runs = 2): CpuSpeed[] | undefined {
  const speeds: CpuSpeed[] = [];
  for (let cpu = 0; cpu < cpus().length; cpu++) {
    let best = Infinity;
    for (let run = 0; run < runs; run++) {
      const timed = spawnSync('taskset', ['-c', String(cpu), process.execPath, '-e', LOOP], {
        encoding: 'utf8',
      });
      const ms = Number(timed.stdout);
      if (timed.error || timed.status !== 0 || !(ms > 0)) return undefined;
      best = Math.min(best, ms);
    }
    speeds.push({ cpu, ms: best });
  }
  return speeds;
}

/** `cpu0 263 ms, cpu1 260 ms`, or why there is no figure. */
export function cpuSpeedText(speeds: CpuSpeed[] | undefined): string {
  if (!speeds) return 'not measured (taskset missing or refused)';
  return speeds.map(({ cpu, ms }) => `cpu${cpu} ${Math.round(ms)} ms`).join(', ');
}

/** What the figures are, said once wherever they are shown. */
export const CPU_SPEED_LABEL = 'CPU speed (a fixed loop pinned to each CPU alone; lower is faster)';
