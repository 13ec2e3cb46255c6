import { cpus } from 'node:os';
import { cpuSpeedText, cpuSpeeds } from './cpu-speed.js';

describe('bench CPU speed', () => {
  it('times the loop on every CPU of the machine', () => {
    const speeds = cpuSpeeds(1);
    expect(speeds?.map(({ cpu }) => cpu)).toEqual(cpus().map((_, i) => i));
    for (const { ms } of speeds ?? []) expect(ms).toBeGreaterThan(0);
  });

  it('says each CPU’s time, or that none was taken', () => {
    const text = cpuSpeedText([
      { cpu: 0, ms: 435.4 },
      { cpu: 1, ms: 347.6 },
    ]);
    expect(text).toBe('cpu0 435 ms, cpu1 348 ms');
    expect(cpuSpeedText(undefined)).toBe('not measured (taskset missing or refused)');
  });
});
