import { cpus } from 'node:os';
import type { Outcome } from './load.js';
import {
  type ChaosResult,
  droppedByGatewayKill,
  interruptedByFault,
  zeroLossProblems,
} from './run-chaos.js';

const OUTCOMES: Outcome[] = ['served', 'refused', 'interrupted', 'dropped', 'other'];

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The run as Markdown: requests by outcome, faults and recovery, jobs, audit, duplicates. */
export function formatChaosReport(result: ChaosResult): string {
  const { records, options } = result;
  const served = records.filter((r) => r.outcome === 'served').length;
  const kinds = ['json', 'stream', 'job'] as const;
  const count = (kind: string, outcome: Outcome) =>
    records.filter((r) => r.kind === kind && r.outcome === outcome).length;
  const requests = table(
    ['requests', ...OUTCOMES, 'total'],
    [
      ...kinds.map((k) => [
        k,
        ...OUTCOMES.map((o) => String(count(k, o))),
        String(records.filter((r) => r.kind === k).length),
      ]),
      [
        'all',
        ...OUTCOMES.map((o) => String(records.filter((r) => r.outcome === o).length)),
        String(records.length),
      ],
    ],
  );
  const faults = table(
    [
      'fault',
      'down',
      'requests around it (served/refused/interrupted/dropped/other)',
      'last failure after repair',
      'slowest request in flight at the fault',
    ],
    result.faults.map((f) => [
      `${f.name} (${f.target})`,
      seconds(f.repairedAt - f.at),
      OUTCOMES.map((o) => f.outcomes[o]).join(' / '),
      f.lastFailureAfterRepairMs > 0 ? seconds(f.lastFailureAfterRepairMs) : 'none',
      seconds(f.slowestInFlightMs),
    ]),
  );
  const { jobs, audit } = result;
  const problems = zeroLossProblems(result);
  const refusals = new Map<string, number>();
  for (const r of records.filter((x) => x.outcome === 'refused')) {
    const reason = r.detail.slice(0, 3);
    refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
  }
  const dropped = records.filter((r) => r.outcome === 'dropped');
  const interrupted = records.filter((r) => r.outcome === 'interrupted');
  return [
    `Chaos run: ${options.loadSeconds} s of load from ${options.clients} clients through 2 gateways ` +
      `(2 proxy-workers, 2 audit apps), upstream latency ${options.upstreamDelayMs} ms, ` +
      `job lock ${options.jobLockMs ?? 30_000} ms${options.jobLockMs ? '' : ' (the default)'}, ` +
      `${cpus().length} CPU cores. Served ${(served / options.loadSeconds).toFixed(0)} requests/s on average, faults included.`,
    '',
    requests,
    '',
    `Served: the answer echoed the request's own prompt. Refused: a clean 429/503 with the JSON ` +
      `error body (${[...refusals].map(([s, n]) => `${s}: ${n}`).join(', ') || 'none'}). ` +
      `Interrupted: a stream that began, then ended with the gateway's error event (${interrupted.length}, ` +
      `all while a worker was killed or Redis restarted: ${interrupted.every((r) => interruptedByFault(result, r)) ? 'yes' : 'NO'}). Dropped: ` +
      `the connection broke mid-request (${dropped.length}, all to a gateway that was killed: ` +
      `${dropped.every((r) => droppedByGatewayKill(result, r)) ? 'yes' : 'NO'}). ` +
      `${result.rerouted} requests met a gateway that was down and went to the other one.`,
    '',
    faults,
    '',
    `Async jobs: ${jobs.submitted} accepted, ${jobs.completed} completed, ${jobs.failed} failed, ` +
      `${jobs.lost.length} lost, ${jobs.stuck.length} stuck, ${jobs.wrongResult.length} with a wrong result.`,
    `Audit: ${audit.expected} events expected (request.completed per served request; job.created, ` +
      `request.completed and job.completed or job.failed per accepted job), ${audit.stored} stored, ` +
      `${audit.missing.length} missing, ${audit.duplicated.length} duplicated, ${audit.deadLetters} dead letters, ` +
      `${audit.queued} still queued; chain ${audit.chainOk ? 'verifies' : 'BROKEN'} (${audit.chainChecked} links).`,
    `Duplicate upstream calls: ${result.duplicates.length}` +
      (result.duplicates.length > 0
        ? ` (${[...new Set(result.duplicates.map((d) => d.explanation))].join('; ')})`
        : ''),
    '',
    problems.length === 0 ? 'Nothing lost.' : `PROBLEMS:\n- ${problems.join('\n- ')}`,
  ].join('\n');
}
