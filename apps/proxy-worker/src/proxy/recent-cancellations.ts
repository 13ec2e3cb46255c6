/** How long a cancellation is remembered (a job held up by an outage may start minutes late). */
export const CANCELLATION_MEMORY_MS = 300_000;
/** Remembered at most (the oldest go first): a few bytes each, and cancellations are rare. */
export const CANCELLATIONS_REMEMBERED = 10_000;

/**
 * Requests whose client went away while this worker was not running them: the broadcast
 * reaches every worker, and the job may still reach this one (taken from the queue just before
 * the gateway removed it, or queued again after an outage). Checked when a job starts, in
 * memory: no Redis round trip before the upstream call.
 */
export class RecentCancellations {
  /** Request id -> when it is forgotten. Insertion order is expiry order (one fixed memory). */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly memoryMs = CANCELLATION_MEMORY_MS,
    private readonly max = CANCELLATIONS_REMEMBERED,
    private readonly now: () => number = Date.now,
  ) {}

  add(requestId: string): void {
    const now = this.now();
    this.until.delete(requestId);
    this.until.set(requestId, now + this.memoryMs);
    for (const [id, until] of this.until) {
      if (until > now && this.until.size <= this.max) break;
      this.until.delete(id);
    }
  }

  /** Whether `requestId` was cancelled (and still remembered); forgets it either way. */
  take(requestId: string): boolean {
    const until = this.until.get(requestId);
    if (until === undefined) return false;
    this.until.delete(requestId);
    return until > this.now();
  }

  get size(): number {
    return this.until.size;
  }
}
