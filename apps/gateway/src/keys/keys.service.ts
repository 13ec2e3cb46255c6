import { ApiKeyHasher, generateApiKey } from '@gatehouse/crypto';
import { ApiKey } from '@gatehouse/db';
import { BroadcastEvent, BroadcastPublisher } from '@gatehouse/queue';
import { BadRequestException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { type ClientKey, isKeyUsable } from '../auth/principal.js';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import type { RequestContext } from '../audit-trail/request-context.js';
import type { CreateKeyDto } from './dto/create-key.dto.js';
import type { KeyFields } from './dto/key-fields.js';
import type { RotateKeyDto } from './dto/rotate-key.dto.js';
import type { UpdateKeyDto } from './dto/update-key.dto.js';
import { networkAllowlist, normalizeNetworks } from './key-networks.js';
import { type KeyView, budgetLimitsOf, toKeyView } from './key-view.js';
import { RevokedKeyJobs } from './revoked-key-jobs.js';
import { decodeTimeCursor, encodeTimeCursor } from '../pagination/cursor.js';
import { keysetPage, type Page } from '../pagination/keyset-page.js';

export type KeyWithSecret = KeyView & { key: string };
export type KeyPage = Page<KeyView>;

// last_used_at is informational: write it at most this often per key and process.
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

@Injectable()
export class KeysService {
  private readonly logger = new Logger(KeysService.name);
  private readonly lastUsedWrites = new Map<string, number>();

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly hasher: ApiKeyHasher,
    private readonly broadcast: BroadcastPublisher,
    private readonly audit: GatewayAudit,
    private readonly revokedJobs: RevokedKeyJobs,
  ) {}

  async create(dto: CreateKeyDto, ctx: RequestContext): Promise<KeyWithSecret> {
    const { key, prefix } = generateApiKey();
    const entity = this.keys.create({
      prefix,
      keyHash: this.hasher.hash(key),
      ...this.fieldsFrom(dto),
    });
    const saved = await this.keys.save(entity);
    const view = toKeyView(await this.findOrFail(saved.id));
    this.audit.record(ctx, 'key.created', { after: view }, view.id);
    return { ...view, key };
  }

  async list(limit = 50, cursor?: string, search?: string): Promise<KeyPage> {
    const qb = this.keys
      .createQueryBuilder('k')
      // Cursors carry milliseconds (JS dates); order and compare at that precision too.
      .orderBy("date_trunc('milliseconds', k.created_at)", 'DESC')
      .addOrderBy('k.id', 'DESC')
      .take(limit + 1);
    if (cursor) {
      const { createdAt, id } = decodeTimeCursor(cursor);
      qb.where("(date_trunc('milliseconds', k.created_at), k.id) < (:createdAt, :id)", {
        createdAt,
        id,
      });
    }
    if (search) {
      // A substring, not a pattern: the operator's % and _ match themselves.
      const literal = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      qb.andWhere('(k.name ILIKE :literal OR k.prefix ILIKE :literal)', { literal });
    }
    const rows = await qb.getMany();
    return keysetPage(
      rows,
      limit,
      (k) => toKeyView(k),
      (last) => encodeTimeCursor(last.createdAt, last.id),
    );
  }

  async get(id: string): Promise<KeyView> {
    return toKeyView(await this.findOrFail(id));
  }

  async update(id: string, dto: UpdateKeyDto, ctx: RequestContext): Promise<KeyView> {
    const before = toKeyView(await this.findOrFail(id));
    const fields = this.fieldsFrom(dto);
    if (Object.keys(fields).length > 0) await this.keys.update({ id }, fields);
    await this.changed(id);
    const after = await this.get(id);
    this.audit.record(ctx, 'key.updated', { before, after }, id);
    return after;
  }

  async rotate(id: string, dto: RotateKeyDto, ctx: RequestContext): Promise<KeyWithSecret> {
    const current = await this.keys.findOne({
      where: { id },
      select: { id: true, keyHash: true, revokedAt: true },
    });
    if (!current) throw notFound();
    if (current.revokedAt) throw new BadRequestException('A revoked key cannot be rotated');
    const grace = dto.grace_seconds ?? 0;
    const { key, prefix } = generateApiKey();
    await this.keys.update(
      { id },
      {
        prefix,
        keyHash: this.hasher.hash(key),
        previousKeyHash: grace > 0 ? current.keyHash : null,
        previousKeyExpiresAt: grace > 0 ? new Date(Date.now() + grace * 1000) : null,
      },
    );
    await this.changed(id);
    const view = await this.get(id);
    this.audit.record(ctx, 'key.rotated', { grace_seconds: grace, prefix: view.prefix }, id);
    return { ...view, key };
  }

  async revoke(id: string, ctx: RequestContext): Promise<KeyView> {
    const key = await this.findOrFail(id);
    if (!key.revokedAt) {
      this.audit.record(ctx, 'key.revoked', { before: toKeyView(key) }, id);
      await this.keys.update(
        { id },
        { revokedAt: new Date(), previousKeyHash: null, previousKeyExpiresAt: null },
      );
    }
    await this.changed(id);
    // Its work in progress stops too: open requests by the broadcast above (every replica),
    // async jobs here.
    await this.revokedJobs.cancelUnfinished(id);
    return this.get(id);
  }

  /** Whether a key still exists, unrevoked and unexpired (for work already admitted). */
  async isUsable(id: string): Promise<boolean> {
    const key = await this.keys.findOne({
      where: { id },
      select: { revokedAt: true, expiresAt: true },
    });
    return key !== null && isKeyUsable(key);
  }

  /**
   * The key whose current secret, or previous secret still in its grace period, hashes to
   * `hash`; with `notAfter` set when it matched the previous secret.
   */
  async findByHash(hash: string): Promise<{ key: ClientKey; notAfter?: Date } | null> {
    const row = await this.keys
      .createQueryBuilder('k')
      .addSelect('k.key_hash = :hash', 'is_current')
      .where('k.key_hash = :hash')
      .orWhere('(k.previous_key_hash = :hash AND k.previous_key_expires_at > now())')
      .setParameters({ hash })
      .getRawAndEntities();
    const entity = row.entities[0];
    const raw = row.raw[0] as { is_current?: boolean } | undefined;
    if (!entity) return null;
    const key: ClientKey = {
      id: entity.id,
      name: entity.name,
      prefix: entity.prefix,
      allowedModels: entity.allowedModels,
      requestsPerMinute: entity.requestsPerMinute,
      budgets: budgetLimitsOf(entity),
      maxConcurrent: entity.maxConcurrent,
      piiPolicy: entity.piiPolicy,
      allowedIps: entity.allowedIps,
      allowsAddress: networkAllowlist(entity.allowedIps),
      expiresAt: entity.expiresAt,
      revokedAt: entity.revokedAt,
    };
    return raw?.is_current ? { key } : { key, notAfter: entity.previousKeyExpiresAt ?? undefined };
  }

  /** Records use without a write per request; failures only cost the timestamp. */
  touchLastUsed(keyId: string): void {
    const now = Date.now();
    if (now - (this.lastUsedWrites.get(keyId) ?? 0) < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastUsedWrites.set(keyId, now);
    this.keys.update({ id: keyId }, { lastUsedAt: new Date(now) }).catch((err: Error) => {
      this.logger.warn(`could not record last use: ${err.message}`);
    });
  }

  private async changed(id: string): Promise<void> {
    await this.broadcast.publish(BroadcastEvent.keyChanged, { keyId: id });
  }

  private async findOrFail(id: string): Promise<ApiKey> {
    const key = await this.keys.findOne({ where: { id } });
    if (!key) throw notFound();
    return key;
  }

  private fieldsFrom(dto: KeyFields): Partial<ApiKey> {
    const fields: Partial<ApiKey> = {};
    if (dto.name !== undefined) fields.name = dto.name;
    if (dto.allowed_models !== undefined) fields.allowedModels = [...new Set(dto.allowed_models)];
    if (dto.requests_per_minute !== undefined) fields.requestsPerMinute = dto.requests_per_minute;
    if (dto.tokens_per_day !== undefined) fields.tokensPerDay = dto.tokens_per_day;
    if (dto.tokens_per_minute !== undefined) fields.tokensPerMinute = dto.tokens_per_minute;
    if (dto.requests_per_day !== undefined) fields.requestsPerDay = dto.requests_per_day;
    if (dto.cost_per_day !== undefined) fields.costPerDayCents = dto.cost_per_day;
    if (dto.cost_per_month !== undefined) fields.costPerMonthCents = dto.cost_per_month;
    if (dto.max_concurrent !== undefined) fields.maxConcurrent = dto.max_concurrent;
    if (dto.pii_policy !== undefined) fields.piiPolicy = dto.pii_policy;
    if (dto.allowed_ips !== undefined) fields.allowedIps = normalizeNetworks(dto.allowed_ips);
    if (dto.expires_at !== undefined) fields.expiresAt = dto.expires_at;
    return fields;
  }
}

function notFound(): NotFoundException {
  return new NotFoundException('No key with this id');
}
