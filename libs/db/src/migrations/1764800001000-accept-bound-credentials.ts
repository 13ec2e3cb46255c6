import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sealed credentials now come labelled `v2` (bound to their account's provider and base-URL
 * origin, see libs/crypto account-credential.ts); `v1` ones, sealed before, stay readable.
 */
export class AcceptBoundCredentials1764800001000 implements MigrationInterface {
  name = 'AcceptBoundCredentials1764800001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE upstream_accounts
        DROP CONSTRAINT upstream_accounts_sealed_credential_check,
        ADD CONSTRAINT upstream_accounts_sealed_credential_check
          CHECK (sealed_credential LIKE 'v1.%' OR sealed_credential LIKE 'v2.%')
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE upstream_accounts
        DROP CONSTRAINT upstream_accounts_sealed_credential_check,
        ADD CONSTRAINT upstream_accounts_sealed_credential_check
          CHECK (sealed_credential LIKE 'v1.%')
    `);
  }
}
