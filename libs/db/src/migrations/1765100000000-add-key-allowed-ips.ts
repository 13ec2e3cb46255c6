import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A key's network allowlist: addresses and CIDRs a request must come from; empty means any. The
 * gateway's role already has UPDATE on api_keys, so no grant changes.
 */
export class AddKeyAllowedIps1765100000000 implements MigrationInterface {
  name = 'AddKeyAllowedIps1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN allowed_ips text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN allowed_ips`);
  }
}
