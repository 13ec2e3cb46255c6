import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Left by retention: the chain now starts after `lastDeletedSeq`, from `lastDeletedHash`. */
@Entity({ name: 'audit_checkpoints' })
export class AuditCheckpoint {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'last_deleted_seq', type: 'bigint' })
  lastDeletedSeq!: string;

  @Column({ name: 'last_deleted_hash', type: 'char', length: 64 })
  lastDeletedHash!: string;

  @Column({ name: 'deleted_count', type: 'bigint' })
  deletedCount!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
