import { writeFile } from 'node:fs/promises';
import { chaosOptionsFromEnv } from './options.js';
import { formatChaosReport } from './report.js';
import { runChaos, zeroLossProblems } from './run-chaos.js';

/** `npm run chaos`: one bounded run on loopback; exits non-zero when anything was lost. */
async function main(): Promise<void> {
  const options = chaosOptionsFromEnv();
  const started = Date.now();
  const result = await runChaos(options, (line) =>
    console.error(`[chaos +${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`),
  );
  console.log(formatChaosReport(result));
  // Everything behind the report, for a closer look: every request, fault and app log.
  const recordsFile = process.env.CHAOS_RECORDS_FILE;
  if (recordsFile) {
    const { records, faults, logs } = result;
    await writeFile(recordsFile, JSON.stringify({ faults, records, logs }, null, 1));
  }
  process.exitCode = zeroLossProblems(result).length === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
