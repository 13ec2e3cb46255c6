import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUpstreamAccounts1763900001000 implements MigrationInterface {
  name = 'CreateUpstreamAccounts1763900001000';

  async up(q: QueryRunner): Promise<void> {
    // No id default: the app picks the id first, because the sealed credential is bound to it.
    await q.query(`
      CREATE TABLE upstream_accounts (
        id uuid PRIMARY KEY,
        name varchar(200) NOT NULL CHECK (length(name) > 0),
        provider varchar(16) NOT NULL CHECK (provider IN ('openai', 'anthropic')),
        base_url varchar(500) NOT NULL CHECK (base_url ~ '^https?://'),
        models text[] NOT NULL DEFAULT '{}',
        weight integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 1000),
        priority integer NOT NULL DEFAULT 0,
        status varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
        sealed_credential text NOT NULL CHECK (sealed_credential LIKE 'v1.%'),
        credential_key_id varchar(32) NOT NULL CHECK (credential_key_id ~ '^[A-Za-z0-9_-]{1,32}$'),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX upstream_accounts_credential_key_id_idx ON upstream_accounts (credential_key_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE upstream_accounts`);
  }
}
