/**
 * Preloaded (`--import`) into the gateway and worker only when the bench profiles them: exits
 * normally on SIGTERM/SIGINT so `--cpu-prof` gets to write its profile (a process ended by a
 * signal writes none).
 */
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => process.exit(0));
}
