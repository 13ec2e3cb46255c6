import { randomInt } from 'node:crypto';
import { type FaultRecord, injectFaults } from './faults.js';
import { type Outcome, type RequestRecord, runLoad } from './load.js';
import type { ChaosOptions } from './options.js';
import { startChaosSystem } from './system.js';
import {
  type AuditCheck,
  checkAudit,
  checkJobs,
  type DuplicateCall,
  duplicateCalls,
  type JobsCheck,
} from './verify.js';

export type FaultImpact = FaultRecord & {
  /** Requests in flight at any time from the fault to two seconds after its repair, by outcome. */
  outcomes: Record<Outcome, number>;
  /** The last request that did not succeed ended this long after the repair (0: none after it). */
  lastFailureAfterRepairMs: number;
  /** The slowest request that was in flight when the fault struck took this long in all. */
  slowestInFlightMs: number;
};

export type ChaosResult = {
  options: ChaosOptions;
  records: RequestRecord[];
  faults: FaultImpact[];
  jobs: JobsCheck;
  audit: AuditCheck;
  duplicates: DuplicateCall[];
  /** Requests whose gateway refused the connection and which went to the other one. */
  rerouted: number;
  /** Everything each app wrote, by replica name. */
  logs: Record<string, string>;
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts the system, drives the load while the faults strike, then checks what was lost. */
export async function runChaos(
  options: ChaosOptions,
  progress: (line: string) => void = () => undefined,
): Promise<ChaosResult> {
  progress('starting 2 gateways, 2 proxy-workers, 2 audit apps, Redis (AOF) and a Postgres proxy');
  const system = await startChaosSystem(options);
  try {
    const target = {
      gateways: system.gateways.map((g) => g.url ?? ''),
      clientKey: system.clientKey,
    };
    const load = runLoad(target, options.clients, randomInt(1_000_000));
    const startedAt = Date.now();
    progress(`load: ${options.clients} clients for ${options.loadSeconds} s; faults on the way`);
    const faults = await injectFaults(system, options, startedAt, (f) =>
      progress(`${f.name} (${f.target}): repaired after ${f.repairedAt - f.at} ms`),
    );
    await sleep(startedAt + options.loadSeconds * 1000 - Date.now());
    await load.stop();
    progress(`load stopped after ${load.records.length} requests; draining`);
    const deadline = Date.now() + options.drainSeconds * 1000;
    const jobs = await checkJobs(system, load.records, deadline);
    const audit = await checkAudit(system, load.records, deadline);
    const replicas = [...system.gateways, ...system.workers, ...system.audits];
    return {
      logs: Object.fromEntries(replicas.map((r) => [r.name, r.output()])),
      options,
      records: load.records,
      faults: faults.map((f) => impactOf(f, load.records)),
      jobs,
      audit,
      duplicates: duplicateCalls(system, faults),
      rerouted: load.records.filter((r) => r.rerouted).length,
    };
  } finally {
    await system.shutdown();
  }
}

function impactOf(fault: FaultRecord, records: RequestRecord[]): FaultImpact {
  const outcomes: Record<Outcome, number> = {
    served: 0,
    refused: 0,
    interrupted: 0,
    dropped: 0,
    other: 0,
  };
  let lastFailure = fault.repairedAt;
  let slowest = 0;
  for (const r of records) {
    if (r.startedAt <= fault.at && r.endedAt >= fault.at)
      slowest = Math.max(slowest, r.endedAt - r.startedAt);
    if (r.endedAt < fault.at || r.startedAt > fault.repairedAt + 2_000) continue;
    outcomes[r.outcome]++;
    if (r.outcome !== 'served') lastFailure = Math.max(lastFailure, r.endedAt);
  }
  return {
    ...fault,
    outcomes,
    lastFailureAfterRepairMs: lastFailure - fault.repairedAt,
    slowestInFlightMs: slowest,
  };
}

/** A connection broken by a gateway's death ends within moments of the kill. */
const KILL_TO_DROP_MS = 2_000;

/** A dropped request explained by a gateway killed while it was in flight. */
export function droppedByGatewayKill(
  result: Pick<ChaosResult, 'faults'>,
  r: RequestRecord,
): boolean {
  return result.faults.some(
    (f) =>
      f.name === 'gateway killed' &&
      r.startedAt <= f.at + KILL_TO_DROP_MS &&
      r.endedAt >= f.at &&
      r.endedAt <= f.at + KILL_TO_DROP_MS,
  );
}

/** A stream can only be cut short by a fault that stopped its worker or its Redis mid-stream. */
export function interruptedByFault(result: Pick<ChaosResult, 'faults'>, r: RequestRecord): boolean {
  return result.faults.some(
    (f) =>
      (f.name === 'worker killed' || f.name === 'redis restarted') &&
      r.startedAt <= f.at + KILL_TO_DROP_MS &&
      r.endedAt >= f.at,
  );
}

/** What breaks the promise "nothing is lost": empty when the run kept it. */
export function zeroLossProblems(result: ChaosResult): string[] {
  const problems: string[] = [];
  const others = result.records.filter((r) => r.outcome === 'other');
  if (others.length > 0)
    problems.push(
      `${others.length} requests ended neither served nor cleanly refused, e.g. ${others
        .slice(0, 3)
        .map((r) => `${r.kind} ${r.requestId}: ${r.detail}`)
        .join('; ')}`,
    );
  const unexplainedDrops = result.records.filter(
    (r) => r.outcome === 'dropped' && !droppedByGatewayKill(result, r),
  );
  if (unexplainedDrops.length > 0)
    problems.push(
      `${unexplainedDrops.length} connections broke with no gateway killed under them, e.g. ${unexplainedDrops
        .slice(0, 3)
        .map((r) => `${r.kind} ${r.requestId}: ${r.detail}`)
        .join('; ')}`,
    );
  const unexplainedCuts = result.records.filter(
    (r) => r.outcome === 'interrupted' && !interruptedByFault(result, r),
  );
  if (unexplainedCuts.length > 0)
    problems.push(
      `${unexplainedCuts.length} streams were cut short with no fault under them, e.g. ${unexplainedCuts
        .slice(0, 3)
        .map((r) => `${r.requestId}: ${r.detail}`)
        .join('; ')}`,
    );
  const { jobs, audit } = result;
  if (jobs.lost.length > 0) problems.push(`async jobs lost: ${jobs.lost.join(', ')}`);
  if (jobs.stuck.length > 0) problems.push(`async jobs not finished: ${jobs.stuck.join(', ')}`);
  if (jobs.wrongResult.length > 0)
    problems.push(`async jobs with another request's answer: ${jobs.wrongResult.join(', ')}`);
  if (audit.missing.length > 0)
    problems.push(`audit events missing: ${audit.missing.slice(0, 10).join(', ')}`);
  if (audit.duplicated.length > 0)
    problems.push(`audit events stored twice: ${audit.duplicated.slice(0, 10).join(', ')}`);
  if (audit.deadLetters > 0) problems.push(`${audit.deadLetters} audit dead letters`);
  if (audit.queued > 0 || audit.failed > 0)
    problems.push(`audit queue not drained: ${audit.queued} queued, ${audit.failed} failed`);
  if (!audit.chainOk) problems.push('the audit chain does not verify');
  const unexplained = result.duplicates.filter((d) => d.explanation === 'unexplained');
  if (unexplained.length > 0)
    problems.push(
      `unexplained duplicate upstream calls: ${unexplained.map((d) => d.marker).join(', ')}`,
    );
  return problems;
}
