import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { parsePublicKey, sealAccountCredential, type SealingKey } from '@gatehouse/crypto';
import { UpstreamAccount } from '@gatehouse/db';
import {
  accountCooldownKey,
  BroadcastEvent,
  InjectRedis,
  type RedisClient,
  BroadcastPublisher,
} from '@gatehouse/queue';
import {
  BadRequestException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import type { RequestContext } from '../audit-trail/request-context.js';
import { type AccountView, toAccountView } from './account-view.js';
import type { AccountTuning } from './dto/account-fields.js';
import type { CreateAccountDto } from './dto/create-account.dto.js';
import type { UpdateAccountDto } from './dto/update-account.dto.js';
import { decodeTimeCursor, encodeTimeCursor } from '../pagination/cursor.js';
import { keysetPage, type Page } from '../pagination/keyset-page.js';

export type AccountPage = Page<AccountView>;

const NO_SEALING_KEY =
  'Upstream credentials cannot be stored: CREDENTIALS_PUBLIC_KEY is not configured on the gateway';

@Injectable()
export class AccountsService {
  private readonly prefix: string;
  private readonly logger = new Logger(AccountsService.name);
  /** Undefined when no public key is configured: accounts can be read, not given credentials. */
  private readonly sealingKey: SealingKey | undefined;

  constructor(
    @InjectRepository(UpstreamAccount) private readonly accounts: Repository<UpstreamAccount>,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly broadcast: BroadcastPublisher,
    private readonly audit: GatewayAudit,
    @InjectRedis() private readonly redis: RedisClient,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
    const spec = config.CREDENTIALS_PUBLIC_KEY;
    if (spec) {
      try {
        this.sealingKey = parsePublicKey(spec);
      } catch (err) {
        // A key that is set but broken is a deployment error: refuse to start, name the variable.
        throw new Error(`CREDENTIALS_PUBLIC_KEY is invalid: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  }

  async create(dto: CreateAccountDto, ctx: RequestContext): Promise<AccountView> {
    const key = this.requireSealingKey();
    const id = randomUUID();
    const baseUrl = normaliseBaseUrl(dto.base_url);
    await this.accounts.insert({
      id,
      name: dto.name,
      provider: dto.provider,
      baseUrl,
      // Bound to this account, provider and origin: it opens for nowhere else (see libs/crypto).
      sealedCredential: sealAccountCredential(dto.credential, key, {
        id,
        provider: dto.provider,
        baseUrl,
      }),
      credentialKeyId: key.kid,
      ...tuningFrom(dto),
    });
    this.logger.log(`upstream account ${id} created (credential sealed under ${key.kid})`);
    await this.changed(id);
    const view = await this.get(id);
    this.audit.record(ctx, 'account.created', { account_id: id, after: view });
    return view;
  }

  async list(limit = 50, cursor?: string): Promise<AccountPage> {
    // Compared at millisecond precision, the precision the cursor carries (Postgres keeps µs).
    const createdMs = "date_trunc('milliseconds', a.created_at)";
    const qb = this.accounts
      .createQueryBuilder('a')
      .orderBy(createdMs, 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit + 1);
    if (cursor) {
      const { createdAt, id } = decodeTimeCursor(cursor);
      qb.where(`(${createdMs}, a.id) < (:createdAt, :id)`, { createdAt, id });
    }
    const rows = await qb.getMany();
    const shown = rows.slice(0, limit);
    const cooldowns = await this.cooldownsUntil(shown.map((a) => a.id));
    const cooldownOf = new Map(shown.map((a, i) => [a.id, cooldowns[i] ?? null]));
    return keysetPage(
      rows,
      limit,
      (a) => ({ ...toAccountView(a), cooldown_until: cooldownOf.get(a.id) ?? null }),
      (last) => encodeTimeCursor(last.createdAt, last.id),
    );
  }

  /**
   * When each account's cooldown (set by proxy-worker after a 429) ends, in one pipeline (the
   * keys share a slot). A list must not fail because Redis does: then nothing is known (null).
   */
  private async cooldownsUntil(ids: string[]): Promise<(string | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.pttl(accountCooldownKey(this.prefix, id));
    const now = Date.now();
    const results = await pipeline.exec().catch(() => null);
    return ids.map((_, i) => {
      const [err, ms] = results?.[i] ?? [new Error('no answer')];
      return !err && Number(ms) > 0 ? new Date(now + Number(ms)).toISOString() : null;
    });
  }

  async get(id: string): Promise<AccountView> {
    return toAccountView(await this.findOrFail(id));
  }

  async update(id: string, dto: UpdateAccountDto, ctx: RequestContext): Promise<AccountView> {
    // Check the key before anything else: a patch is applied whole or not at all.
    const key = dto.credential !== undefined ? this.requireSealingKey() : undefined;
    const row = await this.findOrFail(id);
    const before = toAccountView(row);
    const fields: Partial<UpstreamAccount> = tuningFrom(dto);
    if (dto.name !== undefined) fields.name = dto.name;
    const baseUrl = dto.base_url === undefined ? row.baseUrl : normaliseBaseUrl(dto.base_url);
    if (baseUrl !== row.baseUrl) {
      // Whoever holds the admin key must not be able to send the stored credential elsewhere.
      if (dto.credential === undefined) {
        throw new BadRequestException(
          'Changing base_url needs the credential again in the same request: ' +
            'a stored credential is sent only where it was entered for',
        );
      }
      fields.baseUrl = baseUrl;
    }
    if (key && dto.credential !== undefined) {
      fields.sealedCredential = sealAccountCredential(dto.credential, key, {
        id,
        provider: row.provider,
        baseUrl,
      });
      fields.credentialKeyId = key.kid;
    }
    if (Object.keys(fields).length > 0) {
      await this.accounts.update({ id }, fields);
      if (fields.sealedCredential) this.logger.log(`upstream account ${id} credential replaced`);
      await this.changed(id);
    }
    const after = await this.get(id);
    this.audit.record(ctx, 'account.updated', {
      account_id: id,
      before,
      after,
      credential_replaced: fields.sealedCredential !== undefined,
    });
    return after;
  }

  async setStatus(
    id: string,
    status: 'active' | 'paused',
    ctx: RequestContext,
  ): Promise<AccountView> {
    const account = await this.findOrFail(id);
    if (account.status !== status) {
      await this.accounts.update({ id }, { status });
      await this.changed(id);
      this.audit.record(ctx, status === 'paused' ? 'account.paused' : 'account.resumed', {
        account_id: id,
      });
    }
    return this.get(id);
  }

  async remove(id: string, ctx: RequestContext): Promise<void> {
    const result = await this.accounts.delete({ id });
    if (!result.affected) throw notFound();
    this.logger.log(`upstream account ${id} deleted`);
    await this.changed(id);
    this.audit.record(ctx, 'account.deleted', { account_id: id });
  }

  private requireSealingKey(): SealingKey {
    if (!this.sealingKey) throw new ServiceUnavailableException(NO_SEALING_KEY);
    return this.sealingKey;
  }

  private async changed(id: string): Promise<void> {
    await this.broadcast.publish(BroadcastEvent.accountChanged, { accountId: id });
  }

  private async findOrFail(id: string): Promise<UpstreamAccount> {
    const account = await this.accounts.findOne({ where: { id } });
    if (!account) throw notFound();
    return account;
  }
}

function tuningFrom(dto: AccountTuning): Partial<UpstreamAccount> {
  const fields: Partial<UpstreamAccount> = {};
  if (dto.models !== undefined) fields.models = [...new Set(dto.models)];
  if (dto.weight !== undefined) fields.weight = dto.weight;
  if (dto.priority !== undefined) fields.priority = dto.priority;
  if (dto.status !== undefined) fields.status = dto.status;
  return fields;
}

/** `https://api.openai.com/v1/` and `…/v1` are the same base: keep one form. */
function normaliseBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

function notFound(): NotFoundException {
  return new NotFoundException('No upstream account with this id');
}
