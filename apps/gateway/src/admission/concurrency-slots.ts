import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { InjectRedis, type RedisClient, releaseSlots, slotSetKey } from '@gatehouse/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ClientKey } from '../auth/principal.js';
import type { SlotsToTake } from './admission-counters.js';
import { RateLimited } from './limit-state.js';

/** What a proxied request asks of admission besides its counts: slots while it is in flight. */
export type SlotClaim = {
  requestId: string;
  /** When the request ends at the latest: the slots free themselves then if never released. */
  leaseEndsAt: number;
  /** A stream also takes a slot of its client address. */
  stream: boolean;
};

/** Slots admission took for a request: give them back when it ends (safe to call twice). */
export type HeldSlots = {
  /** The sets holding the request, for the job: its worker frees them with its last reply. */
  sets: string[];
  /** The worker said it freed them (its last reply's `slotsFreed`): nothing left to release. */
  freedByWorker(): void;
  release(): void;
};

/**
 * Caps on what is open at once, across every replica: proxied requests per key, and streams per
 * client address. Rates are counted at admission; these bound what a client can hold while it
 * waits (sockets, reply channels, worker capacity), which a rate cannot. The slots are taken by
 * the admission script, with the counts, in one round trip; this class names them, says what a
 * refusal means and gives slots back.
 */
@Injectable()
export class ConcurrencySlots {
  private readonly logger = new Logger(ConcurrencySlots.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRedis() private readonly redis: RedisClient,
  ) {}

  /** The slots a claim of this key, from this address subject, takes. */
  toTake(claim: SlotClaim, key: ClientKey, subject: string): SlotsToTake {
    const prefix = this.config.REDIS_KEY_PREFIX;
    return {
      keys: {
        inFlight: slotSetKey(prefix, 'inflight:key', key.id),
        streams: slotSetKey(prefix, 'streams:ip', claim.stream ? subject : '-'),
      },
      requestId: claim.requestId,
      leaseEndsAt: claim.leaseEndsAt,
      keyCap: key.maxConcurrent ?? this.config.KEY_MAX_CONCURRENT,
      streamCap: claim.stream ? this.config.STREAMS_MAX_PER_IP : 0,
    };
  }

  /** The 429 for a set that was full. */
  refusal(which: 'key-concurrency' | 'ip-streams', slots: SlotsToTake): RateLimited {
    return which === 'key-concurrency'
      ? new RateLimited(
          `This key has ${slots.keyCap} requests in flight, its limit; retry when one has finished`,
          1,
        )
      : new RateLimited(
          `This address has ${slots.streamCap} streams open, its limit; retry when one has finished`,
          1,
        );
  }

  /**
   * The handle that gives taken slots back. A request answered by its worker needs no round trip
   * here (the worker freed them); one that ended otherwise (timeout, client gone, refused before
   * it was queued, a worker of the previous version) is released by the gateway.
   */
  held(slots: SlotsToTake): HeldSlots {
    let released = false;
    const sets = [slots.keys.inFlight];
    if (slots.streamCap > 0) sets.push(slots.keys.streams);
    return {
      sets,
      freedByWorker: () => {
        released = true;
      },
      release: () => {
        if (released) return;
        released = true;
        releaseSlots(this.redis, sets, slots.requestId).catch((err: Error) =>
          this.logger.warn(`could not release request slots: ${err.message}`),
        );
      },
    };
  }
}
