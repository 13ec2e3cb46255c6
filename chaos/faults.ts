import type { ChaosOptions } from './options.js';
import type { ChaosSystem } from './system.js';

export type FaultName = 'worker killed' | 'gateway killed' | 'redis restarted' | 'postgres cut';

export type FaultRecord = {
  name: FaultName;
  /** What was hit, e.g. proxy-worker-1. */
  target: string;
  /** When it struck and when it was repaired (process back up, Redis answering, Postgres reachable). */
  at: number;
  repairedAt: number;
};

const SETTLE_MS = 3_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The faults, one after another at fixed points of the load: a worker and a gateway killed
 * (SIGKILL) and started again after `downSeconds`, Redis killed and restarted at once (its
 * append-only file keeps what it acknowledged), Postgres cut for `postgresCutSeconds`.
 */
export async function injectFaults(
  system: ChaosSystem,
  options: ChaosOptions,
  loadStartedAt: number,
  onFault: (fault: FaultRecord) => void = () => undefined,
): Promise<FaultRecord[]> {
  const faults: FaultRecord[] = [];
  const done = (fault: FaultRecord) => {
    faults.push(fault);
    settled = fault.repairedAt + SETTLE_MS;
    onFault(fault);
  };
  const load = options.loadSeconds * 1000;
  // Each fault strikes at its point of the load, but never before the system had SETTLE_MS to
  // recover from the one before: overlapping faults would blur what each one costs.
  let settled = loadStartedAt;
  const until = (fraction: number) =>
    sleep(Math.max(loadStartedAt + load * fraction, settled) - Date.now());
  const down = options.downSeconds * 1000;

  const restartAfterKill = async (name: FaultName, replica: ChaosSystem['workers'][number]) => {
    const at = Date.now();
    await replica.kill();
    await sleep(down);
    await replica.start();
    done({ name, target: replica.name, at, repairedAt: Date.now() });
  };

  await until(0.1);
  const worker = system.workers[0];
  if (worker) await restartAfterKill('worker killed', worker);

  await until(0.3);
  const gateway = system.gateways[1];
  if (gateway) await restartAfterKill('gateway killed', gateway);

  await until(0.5);
  const redisAt = Date.now();
  await system.redis.kill();
  await system.redis.start();
  done({ name: 'redis restarted', target: 'redis', at: redisAt, repairedAt: Date.now() });

  await until(0.65);
  const cutAt = Date.now();
  system.postgres.cut();
  await sleep(options.postgresCutSeconds * 1000);
  system.postgres.restore();
  done({ name: 'postgres cut', target: 'postgres', at: cutAt, repairedAt: Date.now() });
  return faults;
}
