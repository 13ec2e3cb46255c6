import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What each day's requests of a key and model cost, in µUSD (whole micro-dollars, as cost
 * budgets count it), summed by the audit app from request.completed events. Table-level grants
 * cover the new column: the audit role's SELECT, INSERT, UPDATE and the gateway's SELECT.
 */
export class AddUsageCost1765200001000 implements MigrationInterface {
  name = 'AddUsageCost1765200001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE usage_daily ADD COLUMN cost_micros bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE usage_daily DROP COLUMN cost_micros`);
  }
}
