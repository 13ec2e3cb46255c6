import { isDatabaseUnavailableError } from '@gatehouse/db';
import { isRedisUnavailableError } from '@gatehouse/queue';
import { type ReplySink, sendAll } from './reply-sink.js';

/**
 * How long a worker keeps trying to deliver an outcome (or to open an async job's row) through
 * a Redis or Postgres outage. The upstream's answer is in hand and was paid for: a restart or a
 * failover of either takes seconds, and giving up would mean calling the upstream again.
 */
export const OUTAGE_PATIENCE_MS = 60_000;

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

/** Redis or Postgres was unreachable: the same operation may well succeed once it is back. */
export function isOutageError(err: unknown): boolean {
  return isRedisUnavailableError(err) || isDatabaseUnavailableError(err);
}

/** The outcome could not be delivered: not the upstream's fault, and no reason to call it again. */
export class SinkFailure extends Error {}

/** Runs `op`, retrying with backoff while it fails for an outage, until `giveUpAt`. */
export async function throughOutage<T>(op: () => Promise<T>, giveUpAt: number): Promise<T> {
  let delay = RETRY_MIN_MS;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (!isOutageError(err) || Date.now() + delay > giveUpAt) throw err;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }
}

/**
 * A sink whose sends ride out a short outage, and whose failures are marked as its own
 * (SinkFailure), so they are never taken for a failed upstream attempt.
 */
export function patientSink(sink: ReplySink, giveUpAt: number): ReplySink {
  const patiently = async (send: () => Promise<void>): Promise<void> => {
    try {
      await throughOutage(send, giveUpAt);
    } catch (err) {
      throw new SinkFailure(`the outcome could not be delivered: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  const patient: ReplySink = { send: (reply) => patiently(() => sink.send(reply)) };
  // Only where the sink writes them together: retried one by one, replies that landed would
  // be sent twice.
  if (sink.sendAll) patient.sendAll = (replies) => patiently(() => sendAll(sink, replies));
  return patient;
}
