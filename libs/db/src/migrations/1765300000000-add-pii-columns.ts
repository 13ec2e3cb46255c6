import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Personal-data masking: a key's policy (null: the gateway's PII_DEFAULT_POLICY), and an async
 * job's sealed placeholder → original mapping (AES-256-GCM under the gateway's PII_VAULT_KEY),
 * deleted with the job. The gateway's role already writes both tables.
 */
export class AddPiiColumns1765300000000 implements MigrationInterface {
  name = 'AddPiiColumns1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE api_keys ADD COLUMN pii_policy text CHECK (pii_policy IN ('off', 'mask', 'block'))`,
    );
    await q.query(`ALTER TABLE jobs ADD COLUMN pii_vault text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN pii_vault`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN pii_policy`);
  }
}
