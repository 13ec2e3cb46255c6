import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One stored audit event, redacted, in a hash chain: `hash = SHA-256(prev_hash ||
 * canonical(event))` (see libs/audit). `seq` is the chain order. Rows are only inserted, and
 * deleted in whole old prefixes by retention; an UPDATE anywhere shows up in verify.
 */
@Entity({ name: 'audit_events' })
export class AuditEventRow {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'event_id', type: 'uuid', unique: true })
  eventId!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  /** When it happened (producer's clock), as the ISO string that was hashed. */
  @Column({ type: 'varchar', length: 40 })
  at!: string;

  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt!: Date;

  @Column({ type: 'varchar', length: 16 })
  actor!: string;

  @Column({ name: 'key_id', type: 'uuid', nullable: true })
  keyId!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  method!: string | null;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  path!: string | null;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  /** Redacted, capped request/response bodies (AUDIT_CAPTURE_BODIES); removed after their own retention. */
  @Column({ type: 'jsonb', nullable: true })
  bodies!: Record<string, unknown> | null;

  @Column({ name: 'bodies_hash', type: 'char', length: 64, nullable: true })
  bodiesHash!: string | null;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;
}
