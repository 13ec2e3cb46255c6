import { runInNewContext } from 'node:vm';

/**
 * Long enough that a quadratic or worse pattern cannot finish in time, short for a linear one.
 * At 32 KiB a quadratic scan (`\s*x\s*$` over spaces) took 330 ms of the 500 on an idle
 * machine, and all its probes together sometimes fitted: the verdict hung on the machine's
 * speed. At 128 KiB the same scan takes over 5 s, ten times the bound, while a linear pattern
 * gets through every probe in a few ms.
 */
const PROBE_LENGTH = 128 * 1024;
const PROBE_TIMEOUT_MS = 500;
const PROBE_CHARS = /[A-Za-z0-9 _.:@/-]/g;

/**
 * Strings a pattern is tried on before it is trusted: each of its own literal characters (and
 * a few common ones) repeated, alone, in pairs and followed by a character that ends a match.
 */
function probesFor(source: string): string[] {
  const chars = [...new Set([...(source.match(PROBE_CHARS) ?? []), 'a', '0', ' ', '-'])].slice(
    0,
    24,
  );
  const fill = (unit: string) => unit.repeat(Math.ceil(PROBE_LENGTH / unit.length));
  const probes = chars.map((c) => `${fill(c)}!`);
  for (let i = 0; i + 1 < chars.length; i++) probes.push(`${fill(`${chars[i]}${chars[i + 1]}`)}!`);
  probes.push(`${fill(chars.join(''))}!`);
  return probes;
}

/**
 * Why a user-supplied regular expression may not be used with the given flags, or undefined
 * when it may: it must compile, and it must get through every probe within a time bound (a vm
 * timeout interrupts a regular expression that backtracks catastrophically, where the calling
 * process itself could not). `g` is always added to the flags.
 */
export function regexPatternProblem(source: string, flags = 'g'): string | undefined {
  const withGlobal = flags.includes('g') ? flags : `${flags}g`;
  try {
    new RegExp(source, withGlobal);
  } catch {
    return 'is not a valid regular expression';
  }
  try {
    runInNewContext(
      'for (const probe of probes) probe.replace(new RegExp(source, flags), "")',
      { probes: probesFor(source), source, flags: withGlobal },
      { timeout: PROBE_TIMEOUT_MS },
    );
  } catch {
    return `backtracks too much: ${PROBE_TIMEOUT_MS} ms were not enough for ${PROBE_LENGTH / 1024} KiB of probe text (rewrite it without nested or overlapping repetition)`;
  }
  return undefined;
}
