import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateApiKeys1763900000000 implements MigrationInterface {
  name = 'CreateApiKeys1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200),
        prefix varchar(16) NOT NULL,
        key_hash char(64) NOT NULL,
        previous_key_hash char(64),
        previous_key_expires_at timestamptz,
        allowed_models text[] NOT NULL DEFAULT '{}',
        requests_per_minute integer CHECK (requests_per_minute > 0),
        tokens_per_day integer CHECK (tokens_per_day > 0),
        expires_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX api_keys_key_hash_uq ON api_keys (key_hash)`);
    await q.query(
      `CREATE INDEX api_keys_previous_key_hash_idx ON api_keys (previous_key_hash) WHERE previous_key_hash IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_keys`);
  }
}
