import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { hashApiKey, looksLikeApiKey, secretsEqual } from '@gatehouse/crypto';
import { Inject, Injectable } from '@nestjs/common';
import { KeysService } from '../keys/keys.service.js';
import { KeyCache } from './key-cache.js';
import { BOOTSTRAP_KEY_ID, type ClientKey, type Principal } from './principal.js';

const BOOTSTRAP_KEY: ClientKey = {
  id: BOOTSTRAP_KEY_ID,
  name: 'API_KEY (bootstrap)',
  prefix: 'env',
  allowedModels: [],
  requestsPerMinute: null,
  tokensPerDay: null,
  expiresAt: null,
  revokedAt: null,
};

/** Tells who a presented credential belongs to, or that it belongs to nobody. */
@Injectable()
export class AuthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeysService,
    private readonly cache: KeyCache,
  ) {}

  async authenticate(presented: string, now = new Date()): Promise<Principal | null> {
    if (secretsEqual(presented, this.config.ADMIN_API_KEY)) return { kind: 'admin' };
    if (looksLikeApiKey(presented)) {
      const key = await this.lookup(presented);
      if (!key || key.revokedAt || (key.expiresAt && key.expiresAt <= now)) return null;
      this.keys.touchLastUsed(key.id);
      return { kind: 'client', key };
    }
    if (this.config.API_KEY && secretsEqual(presented, this.config.API_KEY)) {
      return { kind: 'client', key: BOOTSTRAP_KEY };
    }
    return null;
  }

  private async lookup(presented: string): Promise<ClientKey | null> {
    // Lookup is by keyed hash through a unique index: no secret is compared in application code.
    const hash = hashApiKey(this.config.KEY_PEPPER, presented);
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const readAt = this.cache.generation;
    const found = await this.keys.findByHash(hash);
    if (!found) return null;
    this.cache.set(hash, found.key, readAt, found.notAfter);
    return found.key;
  }
}
