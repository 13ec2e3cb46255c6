import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJobs1763900002000 implements MigrationInterface {
  name = 'CreateJobs1763900002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY,
        key_id uuid NOT NULL,
        endpoint varchar(32) NOT NULL,
        model varchar(200) NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('queued', 'active', 'completed', 'failed')),
        idempotency_key varchar(200),
        request_hash char(64) NOT NULL,
        result jsonb,
        result_truncated boolean NOT NULL DEFAULT false,
        upstream_status integer,
        error jsonb,
        usage jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        completed_at timestamptz,
        expires_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX jobs_key_idempotency_uq ON jobs (key_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`CREATE INDEX jobs_key_created_idx ON jobs (key_id, created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX jobs_expires_idx ON jobs (expires_at) WHERE expires_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE jobs`);
  }
}
