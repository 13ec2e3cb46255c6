import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const UPSTREAM_PROVIDERS = ['openai', 'anthropic'] as const;
export type UpstreamProvider = (typeof UPSTREAM_PROVIDERS)[number];
export const UPSTREAM_ACCOUNT_STATUSES = ['active', 'paused'] as const;
export type UpstreamAccountStatus = (typeof UPSTREAM_ACCOUNT_STATUSES)[number];

/**
 * An upstream provider account. Its credential is sealed to CREDENTIALS_PUBLIC_KEY with the
 * context `upstream-account:<id>`, so the id is chosen by the app before the first insert.
 */
@Entity({ name: 'upstream_accounts' })
export class UpstreamAccount {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  provider!: UpstreamProvider;

  @Column({ name: 'base_url', type: 'varchar', length: 500 })
  baseUrl!: string;

  /** Empty means the account serves any model. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  models!: string[];

  @Column({ type: 'integer', default: 1 })
  weight!: number;

  /** Higher is preferred; lower priorities are used only when no higher one is healthy. */
  @Column({ type: 'integer', default: 0 })
  priority!: number;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status!: UpstreamAccountStatus;

  /** `v1.<kid>....` from sealCredential: never selected unless asked for explicitly. */
  @Column({ name: 'sealed_credential', type: 'text', select: false })
  sealedCredential!: string;

  @Column({ name: 'credential_key_id', type: 'varchar', length: 32 })
  credentialKeyId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
