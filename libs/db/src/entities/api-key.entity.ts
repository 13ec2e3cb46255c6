import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** A client key. Only a keyed hash of the secret is stored; the secret is shown once. */
@Entity({ name: 'api_keys' })
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  name!: string | null;

  /** `gk_<8 hex>`: lets a person recognise a key without revealing it. */
  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  @Index('api_keys_key_hash_uq', { unique: true })
  @Column({ name: 'key_hash', type: 'char', length: 64, select: false })
  keyHash!: string;

  /** After a rotation with a grace period, the old secret's hash stays valid until its expiry. */
  @Index('api_keys_previous_key_hash_idx')
  @Column({ name: 'previous_key_hash', type: 'char', length: 64, nullable: true, select: false })
  previousKeyHash!: string | null;

  @Column({ name: 'previous_key_expires_at', type: 'timestamptz', nullable: true })
  previousKeyExpiresAt!: Date | null;

  /** Empty means every model. */
  @Column({ name: 'allowed_models', type: 'text', array: true, default: () => "'{}'" })
  allowedModels!: string[];

  /** Addresses and CIDRs requests must come from; empty means any. */
  @Column({ name: 'allowed_ips', type: 'text', array: true, default: () => "'{}'" })
  allowedIps!: string[];

  @Column({ name: 'requests_per_minute', type: 'integer', nullable: true })
  requestsPerMinute!: number | null;

  @Column({ name: 'tokens_per_day', type: 'integer', nullable: true })
  tokensPerDay!: number | null;

  @Column({ name: 'tokens_per_minute', type: 'integer', nullable: true })
  tokensPerMinute!: number | null;

  @Column({ name: 'requests_per_day', type: 'integer', nullable: true })
  requestsPerDay!: number | null;

  /** US cents, priced from the model price table. */
  @Column({ name: 'cost_per_day_cents', type: 'integer', nullable: true })
  costPerDayCents!: number | null;

  @Column({ name: 'cost_per_month_cents', type: 'integer', nullable: true })
  costPerMonthCents!: number | null;

  /** Personal data in prompts: off, mask or block; null means the gateway's PII_DEFAULT_POLICY. */
  @Column({ name: 'pii_policy', type: 'text', nullable: true })
  piiPolicy!: 'off' | 'mask' | 'block' | null;

  /** Requests in flight at once; null means the gateway's KEY_MAX_CONCURRENT. */
  @Column({ name: 'max_concurrent', type: 'integer', nullable: true })
  maxConcurrent!: number | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
