import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { type OpeningKeyring, openCredential, parsePrivateKeyring } from '@gatehouse/crypto';
import { UpstreamAccount } from '@gatehouse/db';
import type { ProxyEndpoint } from '@gatehouse/queue';
import { ENDPOINTS, type ProviderName } from '@gatehouse/providers';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { PoolAccount } from './pool-account.js';

// Reload at least this often even without an account.changed broadcast.
const MAX_AGE_MS = 30_000;

/**
 * The active accounts with their credentials opened. Only this process holds the private
 * keyring; credentials never leave memory and are never logged.
 */
@Injectable()
export class AccountPool {
  private readonly logger = new Logger(AccountPool.name);
  private readonly keyring: OpeningKeyring | undefined;
  private accounts: PoolAccount[] = [];
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  private reloadAgain: Promise<void> | undefined;

  constructor(
    @InjectRepository(UpstreamAccount) private readonly repo: Repository<UpstreamAccount>,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.keyring = config.CREDENTIALS_PRIVATE_KEYS
      ? parsePrivateKeyring(config.CREDENTIALS_PRIVATE_KEYS)
      : undefined;
    if (!this.keyring) {
      this.logger.warn('CREDENTIALS_PRIVATE_KEYS is not set: no upstream account can be used');
    }
  }

  /** Accounts that speak the endpoint's wire format and serve the model. */
  async candidates(endpoint: ProxyEndpoint, model: string): Promise<PoolAccount[]> {
    if (Date.now() - this.loadedAt > MAX_AGE_MS) {
      await this.reload();
    } else if (this.loading) {
      // A change was announced: answer from the new list, not the one it replaces (on a
      // failed reload, the current list is still the best there is).
      await (this.reloadAgain ?? this.loading).catch(() => undefined);
    }
    const provider: ProviderName = ENDPOINTS[endpoint].provider;
    return this.accounts.filter(
      (a) => a.provider === provider && (a.models.length === 0 || a.models.includes(model)),
    );
  }

  /**
   * Coalesces concurrent reloads. A reload asked for while one runs gets a fresh query after
   * it: the running one may have read the rows before the change that prompted the request.
   */
  reload(): Promise<void> {
    if (!this.loading) {
      this.loading = this.load().finally(() => (this.loading = undefined));
      return this.loading;
    }
    this.reloadAgain ??= this.loading
      .catch(() => undefined)
      .then(() => {
        this.reloadAgain = undefined;
        return this.reload();
      });
    return this.reloadAgain;
  }

  private async load(): Promise<void> {
    const rows = await this.repo
      .createQueryBuilder('a')
      .addSelect('a.sealedCredential')
      .where('a.status = :status', { status: 'active' })
      .getMany();
    const opened: PoolAccount[] = [];
    for (const row of rows) {
      const credential = this.open(row);
      if (credential === undefined) continue;
      opened.push({
        id: row.id,
        name: row.name,
        provider: row.provider,
        baseUrl: row.baseUrl,
        models: row.models,
        weight: row.weight,
        priority: row.priority,
        credential,
      });
    }
    this.accounts = opened;
    this.loadedAt = Date.now();
  }

  private open(row: UpstreamAccount): string | undefined {
    if (!this.keyring) return undefined;
    try {
      return openCredential(row.sealedCredential, this.keyring, `upstream-account:${row.id}`);
    } catch {
      this.logger.warn(
        `account ${row.id}: credential sealed with key "${row.credentialKeyId}" cannot be opened; skipped`,
      );
      return undefined;
    }
  }
}
