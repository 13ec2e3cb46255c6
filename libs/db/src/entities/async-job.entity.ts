import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type AsyncJobStatus = 'queued' | 'active' | 'completed' | 'failed';

/** An async proxy request (`POST /api/v1/jobs`), owned by the key that submitted it. */
@Entity({ name: 'jobs' })
export class AsyncJob {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'key_id', type: 'uuid' })
  keyId!: string;

  @Column({ type: 'varchar', length: 32 })
  endpoint!: string;

  @Column({ type: 'varchar', length: 200 })
  model!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: AsyncJobStatus;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 200, nullable: true })
  idempotencyKey!: string | null;

  /** SHA-256 of the submitted body: a reused Idempotency-Key with another body is refused. */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ type: 'jsonb', nullable: true })
  result!: object | null;

  @Column({ name: 'result_truncated', type: 'boolean', default: false })
  resultTruncated!: boolean;

  @Column({ name: 'upstream_status', type: 'integer', nullable: true })
  upstreamStatus!: number | null;

  @Column({ type: 'jsonb', nullable: true })
  error!: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  usage!: { input: number; output: number } | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** When the result is deleted (JOB_RESULT_TTL_HOURS after completion). */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  /**
   * The placeholder → original mapping of a masked prompt, sealed with the gateway's
   * PII_VAULT_KEY (see apps/gateway/src/pii): applied when the owner reads the result.
   */
  @Column({ name: 'pii_vault', type: 'text', nullable: true, select: false })
  piiVault!: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
