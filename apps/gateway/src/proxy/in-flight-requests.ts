import { Injectable, Logger } from '@nestjs/common';
import { KeysService } from '../keys/keys.service.js';

type Stop = () => void;

/**
 * This replica's proxied requests in progress, by key, so that revoking a key reaches work it
 * already admitted: on the key.changed broadcast (every replica, within a second) the key is
 * read again, and if it is revoked or expired its open requests and streams are ended and their
 * upstream calls cancelled.
 */
@Injectable()
export class InFlightRequests {
  private readonly logger = new Logger(InFlightRequests.name);
  private readonly byKey = new Map<string, Map<string, Stop>>();

  constructor(private readonly keys: KeysService) {}

  /** Registers a request; the returned function forgets it (call it when the request ends). */
  track(keyId: string, requestId: string, stop: Stop): () => void {
    let requests = this.byKey.get(keyId);
    if (!requests) {
      requests = new Map();
      this.byKey.set(keyId, requests);
    }
    requests.set(requestId, stop);
    return () => {
      requests.delete(requestId);
      if (requests.size === 0 && this.byKey.get(keyId) === requests) this.byKey.delete(keyId);
    };
  }

  /** The key changed: stop its requests if it may no longer be used. */
  async keyChanged(keyId: string): Promise<void> {
    if (!this.byKey.has(keyId)) return;
    let usable: boolean;
    try {
      usable = await this.keys.isUsable(keyId);
    } catch (err) {
      // The database is down: the requests go on (they were admitted), the log says why.
      this.logger.warn(`could not re-check key ${keyId}: ${(err as Error).message}`);
      return;
    }
    if (usable) return;
    const requests = this.byKey.get(keyId);
    this.byKey.delete(keyId);
    for (const stop of requests?.values() ?? []) stop();
  }
}
