import { formatChaosReport } from '../chaos/report.js';
import {
  type ChaosResult,
  droppedByGatewayKill,
  runChaos,
  zeroLossProblems,
} from '../chaos/run-chaos.js';

/**
 * The short chaos run (`npm run chaos` is the long one): 2 of each app under mixed load while a
 * worker and a gateway are killed, Redis restarts and Postgres is cut. Nothing may be lost.
 */
describe('chaos: replicas under load through crashes and outages', () => {
  let result: ChaosResult;

  beforeAll(async () => {
    result = await runChaos({
      loadSeconds: 36,
      clients: 6,
      downSeconds: 2,
      postgresCutSeconds: 5,
      drainSeconds: 75,
      upstreamDelayMs: 20,
      // A killed worker's jobs are taken over after 3 s instead of the default 30 s.
      jobLockMs: 3_000,
    });
  }, 300_000);

  it('struck every fault while the load ran', () => {
    expect(result.faults.map((f) => f.name)).toEqual([
      'worker killed',
      'gateway killed',
      'redis restarted',
      'postgres cut',
    ]);
    for (const kind of ['json', 'stream', 'job'] as const) {
      expect(
        result.records.filter((r) => r.kind === kind && r.outcome === 'served').length,
      ).toBeGreaterThan(10);
    }
  });

  it('lost nothing: every request served or cleanly refused, every job finished, every audit event stored once', () => {
    expect(zeroLossProblems(result)).toEqual([]);
  });

  it('dropped connections only where a gateway was killed under them', () => {
    const dropped = result.records.filter((x) => x.outcome === 'dropped');
    expect(dropped.filter((r) => !droppedByGatewayKill(result, r))).toEqual([]);
  });

  it('prints a report with every section', () => {
    const report = formatChaosReport(result);
    for (const part of [
      '| requests',
      '| fault',
      'Async jobs:',
      'Audit:',
      'Duplicate upstream calls:',
    ])
      expect(report).toContain(part);
  });
});
