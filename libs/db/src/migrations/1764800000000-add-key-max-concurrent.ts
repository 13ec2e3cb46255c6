import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A key's cap on requests in flight at once; NULL means the gateway's KEY_MAX_CONCURRENT. */
export class AddKeyMaxConcurrent1764800000000 implements MigrationInterface {
  name = 'AddKeyMaxConcurrent1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE api_keys ADD COLUMN max_concurrent integer CHECK (max_concurrent > 0)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN max_concurrent`);
  }
}
