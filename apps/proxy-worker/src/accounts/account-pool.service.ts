import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { type OpeningKeyring, openAccountCredential, parsePrivateKeyring } from '@gatehouse/crypto';
import { UpstreamAccount } from '@gatehouse/db';
import type { ProxyEndpoint } from '@gatehouse/queue';
import { ENDPOINTS, type ProviderName } from '@gatehouse/providers';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { PoolAccount } from './pool-account.js';

/** Re-read the accounts this often even without an account.changed broadcast (a missed one). */
export const ACCOUNT_REFRESH_MS = 30_000;
/** Distinct (provider, model) lookups remembered between reloads; models are client input. */
const MAX_CACHED_LOOKUPS = 1_000;

type Entry = { sealed: string; account: PoolAccount };

/**
 * The active accounts with their credentials opened, kept in memory and refreshed in the
 * background: a request never waits for Postgres, except the very first ones of a process
 * (before the first load) and one that would otherwise find no account while a reload runs (an
 * account created a moment ago).
 *
 * Changes take effect at once: an account.changed broadcast drops the account before the
 * reload that brings it back (if it is still active) has even started, so a paused, deleted or
 * re-keyed account is not chosen again. A dropped account's opened credential is zeroed.
 *
 * Only this process holds the private keyring; credentials never leave memory and are never
 * logged. They are kept as Buffers so they can be wiped. Honest limits: `openCredential` hands
 * the plaintext over as a string first, and each upstream call builds its auth header as a
 * string (HTTP headers are strings); JS strings cannot be wiped, so those short-lived copies stay
 * in the heap until the garbage collector reuses their memory.
 */
@Injectable()
export class AccountPool implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AccountPool.name);
  private readonly keyring: OpeningKeyring | undefined;
  private entries = new Map<string, Entry>();
  private accounts: PoolAccount[] = [];
  private readonly lookups = new Map<string, PoolAccount[]>();
  private loaded = false;
  private loading: Promise<void> | undefined;
  private reloadAgain: Promise<void> | undefined;
  private loadsStarted = 0;
  /** Account id -> loads started when it was dropped: older loads must not bring it back. */
  private readonly droppedAt = new Map<string, number>();
  /** Accounts already warned about an unbound (pre-binding) credential. */
  private readonly unboundWarned = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly loadedListeners: (() => void)[] = [];

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

  onApplicationBootstrap(): void {
    void this.reload().catch((err: Error) => this.reloadFailed(err));
    this.timer = setInterval(
      () => void this.reload().catch((err: Error) => this.reloadFailed(err)),
      ACCOUNT_REFRESH_MS,
    );
    this.timer.unref();
  }

  /** Credentials are not wiped here: jobs still draining at shutdown may be using them. */
  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Runs `listener` after every load of the accounts (at start, on changes, every refresh). */
  onLoaded(listener: () => void): void {
    this.loadedListeners.push(listener);
  }

  /** Every account the pool holds now. */
  get active(): readonly PoolAccount[] {
    return this.accounts;
  }

  /** Accounts that speak the endpoint's wire format and serve the model (do not modify). */
  async candidates(endpoint: ProxyEndpoint, model: string): Promise<readonly PoolAccount[]> {
    // The first load (joined if already running): a failure reaches the caller.
    if (!this.loaded) await (this.loading ?? this.reload());
    const provider = ENDPOINTS[endpoint].provider;
    const found = this.matching(provider, model);
    if (found.length > 0 || !this.loading) return found;
    // Nothing serves the model, but a reload is under way (an account.changed broadcast): the
    // account may have been created a moment ago. Only this answer-would-be-503 path waits.
    await (this.reloadAgain ?? this.loading).catch(() => undefined);
    return this.matching(provider, model);
  }

  /**
   * An account.changed broadcast: the account (if given) is dropped and its credential zeroed
   * at once; the reload that follows brings it back if it is still active.
   */
  changed(accountId?: string): Promise<void> {
    if (accountId !== undefined) this.drop(accountId);
    return this.reload();
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

  private matching(provider: ProviderName, model: string): readonly PoolAccount[] {
    const key = `${provider}\n${model}`;
    let found = this.lookups.get(key);
    if (found) return found;
    found = this.accounts.filter(
      (a) => a.provider === provider && (a.models.length === 0 || a.models.includes(model)),
    );
    if (this.lookups.size >= MAX_CACHED_LOOKUPS) this.lookups.clear();
    this.lookups.set(key, found);
    return found;
  }

  private drop(accountId: string): void {
    this.droppedAt.set(accountId, this.loadsStarted);
    const entry = this.entries.get(accountId);
    if (!entry) return;
    this.entries.delete(accountId);
    retire(entry.account);
    this.publish();
  }

  private async load(): Promise<void> {
    const seq = ++this.loadsStarted;
    const rows = await this.repo
      .createQueryBuilder('a')
      .addSelect('a.sealedCredential')
      .where('a.status = :status', { status: 'active' })
      .getMany();
    const next = new Map<string, Entry>();
    for (const row of rows) {
      // Dropped after this query was sent: the row may predate the change; the reload queued
      // by that broadcast reads it again.
      if ((this.droppedAt.get(row.id) ?? 0) >= seq) continue;
      const entry = this.entryFor(row);
      if (entry) next.set(row.id, entry);
    }
    for (const [id, entry] of this.entries) {
      if (next.get(id)?.account.credential !== entry.account.credential) retire(entry.account);
    }
    for (const [id, at] of this.droppedAt) if (at < seq) this.droppedAt.delete(id);
    this.entries = next;
    this.loaded = true;
    this.publish();
    for (const listener of this.loadedListeners) listener();
  }

  /**
   * Reuses what is already open when nothing changed (no re-opening every refresh). A new base
   * URL or provider opens the credential again: it is bound to them, and must fail to open for
   * a destination it was not entered for rather than travel there from the cache.
   */
  private entryFor(row: UpstreamAccount): Entry | undefined {
    const previous = this.entries.get(row.id);
    const sameCredential =
      previous !== undefined &&
      previous.sealed === row.sealedCredential &&
      previous.account.baseUrl === row.baseUrl &&
      previous.account.provider === row.provider &&
      !previous.account.retired;
    const credential = sameCredential ? previous.account.credential : this.open(row);
    if (!credential) return undefined;
    const fields = {
      id: row.id,
      name: row.name,
      provider: row.provider,
      baseUrl: row.baseUrl,
      models: row.models,
      weight: row.weight,
      priority: row.priority,
    };
    if (sameCredential && sameFields(previous.account, fields)) return previous;
    return { sealed: row.sealedCredential, account: { ...fields, credential, retired: false } };
  }

  private publish(): void {
    this.accounts = [...this.entries.values()].map((e) => e.account);
    this.lookups.clear();
  }

  private open(row: UpstreamAccount): Buffer | undefined {
    if (!this.keyring) return undefined;
    try {
      const opened = openAccountCredential(row.sealedCredential, this.keyring, row);
      if (!opened.bound && !this.unboundWarned.has(row.id)) {
        this.unboundWarned.add(row.id);
        this.logger.warn(
          `account ${row.id}: its credential was stored before credentials were bound to their ` +
            'upstream; enter it again (PATCH with credential) to bind it',
        );
      }
      return Buffer.from(opened.plaintext, 'utf8');
    } catch {
      // Also what a base URL or provider changed behind the API's back looks like.
      this.logger.warn(
        `account ${row.id}: credential (key "${row.credentialKeyId}") cannot be opened for ` +
          'this account, provider and base URL; skipped',
      );
      return undefined;
    }
  }

  private reloadFailed(err: Error): void {
    this.logger.warn(
      `could not reload upstream accounts (keeping the current ones): ${err.message}`,
    );
  }
}

function retire(account: PoolAccount): void {
  account.retired = true;
  account.credential.fill(0);
}

function sameFields(a: PoolAccount, b: Omit<PoolAccount, 'credential' | 'retired'>): boolean {
  return (
    a.name === b.name &&
    a.provider === b.provider &&
    a.baseUrl === b.baseUrl &&
    a.weight === b.weight &&
    a.priority === b.priority &&
    a.models.length === b.models.length &&
    a.models.every((m, i) => m === b.models[i])
  );
}
