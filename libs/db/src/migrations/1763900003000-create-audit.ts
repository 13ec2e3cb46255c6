import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAudit1763900003000 implements MigrationInterface {
  name = 'CreateAudit1763900003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_events (
        seq bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        type varchar(64) NOT NULL,
        at varchar(40) NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        actor varchar(16) NOT NULL,
        key_id uuid,
        request_id varchar(128),
        ip varchar(64),
        method varchar(16),
        path varchar(2048),
        data jsonb NOT NULL,
        bodies jsonb,
        bodies_hash char(64),
        prev_hash char(64) NOT NULL,
        hash char(64) NOT NULL
      )`);
    await q.query(`CREATE INDEX audit_events_type_idx ON audit_events (type, seq)`);
    await q.query(
      `CREATE INDEX audit_events_key_idx ON audit_events (key_id, seq) WHERE key_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX audit_events_recorded_idx ON audit_events (recorded_at)`);
    await q.query(`
      CREATE TABLE audit_checkpoints (
        id serial PRIMARY KEY,
        last_deleted_seq bigint NOT NULL,
        last_deleted_hash char(64) NOT NULL,
        deleted_count bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE audit_dead_letters (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        job_id varchar(200),
        reason text NOT NULL,
        payload jsonb,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE usage_daily (
        day date NOT NULL,
        key_id uuid NOT NULL,
        model varchar(200) NOT NULL,
        requests bigint NOT NULL DEFAULT 0,
        errors bigint NOT NULL DEFAULT 0,
        tokens_in bigint NOT NULL DEFAULT 0,
        tokens_out bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (day, key_id, model)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE usage_daily, audit_dead_letters, audit_checkpoints, audit_events`);
  }
}
