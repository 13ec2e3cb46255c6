import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { ApiKeyHasher, looksLikeApiKey } from '@gatehouse/crypto';
import { Inject, Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { KeysService } from '../keys/keys.service.js';
import { KeyCache } from './key-cache.js';
import { type ClientKey, isKeyUsable, type Principal } from './principal.js';

/**
 * What memory alone can tell of a credential: whose it is (or nobody's), or that the database
 * must be asked, by the key's hash.
 */
export type Identification = { principal: Principal | null } | { lookup: string };

/** Tells who a presented credential belongs to, or that it belongs to nobody. */
@Injectable()
export class AuthService {
  private readonly adminDigest: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly hasher: ApiKeyHasher,
    private readonly keys: KeysService,
    private readonly cache: KeyCache,
  ) {
    this.adminDigest = this.hasher.digest(config.ADMIN_API_KEY);
  }

  /** Without I/O: the admin key, a cached client key, or a hash to look up. */
  identify(presented: string, now = Date.now()): Identification {
    // One keyed hash per request answers both: equal digests (compared in constant time, fixed
    // length) mean the admin key; otherwise its hex is the client key's lookup hash.
    const digest = this.hasher.digest(presented);
    if (timingSafeEqual(digest, this.adminDigest)) return { principal: { kind: 'admin' } };
    if (looksLikeApiKey(presented)) {
      // Lookup is by keyed hash through a unique index: no secret is compared in application code.
      const hash = digest.toString('hex');
      const cached = this.cache.get(hash);
      return cached ? { principal: this.usable(cached, now) } : { lookup: hash };
    }
    return { principal: null };
  }

  /** The database's answer for a key hash that identify() could not settle. */
  async lookup(hash: string, now = Date.now()): Promise<Principal | null> {
    const readAt = this.cache.generation;
    const found = await this.keys.findByHash(hash);
    if (!found) return null;
    this.cache.set(hash, found.key, readAt, found.notAfter);
    return this.usable(found.key, now);
  }

  async authenticate(presented: string): Promise<Principal | null> {
    const known = this.identify(presented);
    return 'principal' in known ? known.principal : this.lookup(known.lookup);
  }

  private usable(key: ClientKey, now: number): Principal | null {
    if (!isKeyUsable(key, now)) return null;
    this.keys.touchLastUsed(key.id);
    return { kind: 'client', key };
  }
}
