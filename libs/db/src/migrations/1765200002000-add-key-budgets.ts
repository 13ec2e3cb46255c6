import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A key's budgets besides tokens/day: tokens per minute, requests per day, and money per day and
 * per month (US cents, priced from the model price table). Null means no such budget. The
 * gateway's role already has UPDATE on api_keys, so no grant changes.
 */
export class AddKeyBudgets1765200002000 implements MigrationInterface {
  name = 'AddKeyBudgets1765200002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_keys
        ADD COLUMN tokens_per_minute integer CHECK (tokens_per_minute > 0),
        ADD COLUMN requests_per_day integer CHECK (requests_per_day > 0),
        ADD COLUMN cost_per_day_cents integer CHECK (cost_per_day_cents > 0),
        ADD COLUMN cost_per_month_cents integer CHECK (cost_per_month_cents > 0)
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_keys
        DROP COLUMN tokens_per_minute,
        DROP COLUMN requests_per_day,
        DROP COLUMN cost_per_day_cents,
        DROP COLUMN cost_per_month_cents
    `);
  }
}
