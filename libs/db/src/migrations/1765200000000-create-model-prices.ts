import type { MigrationInterface, QueryRunner } from 'typeorm';

const GATEWAY = 'gatehouse_gateway';
const WORKER = 'gatehouse_proxy_worker';
const AUDIT = 'gatehouse_audit';

/**
 * Operators' model prices (USD per million tokens), laid over the defaults the gateway ships
 * (libs/budgets). Only the gateway reads and writes them.
 *
 * The grant goes into `gatehouse_grant_app_roles()` rather than a one-off GRANT: that function
 * revokes everything before granting and is re-run after every migration run and restore, so a
 * grant made anywhere else would be gone after the next `migration:run`.
 */
export class CreateModelPrices1765200000000 implements MigrationInterface {
  name = 'CreateModelPrices1765200000000';

  async up(q: QueryRunner): Promise<void> {
    // numeric also holds NaN and Infinity; neither is a price ('NaN' sorts above 'Infinity').
    await q.query(`
      CREATE TABLE model_prices (
        model text PRIMARY KEY CHECK (char_length(model) BETWEEN 1 AND 200),
        input_per_mtok numeric NOT NULL
          CHECK (input_per_mtok >= 0 AND input_per_mtok < 'Infinity'),
        output_per_mtok numeric NOT NULL
          CHECK (output_per_mtok >= 0 AND output_per_mtok < 'Infinity'),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(grantAppRolesFunction({ withModelPrices: true }));
    await q.query(`SELECT gatehouse_grant_app_roles()`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The previous matrix first: the table must not be named by the function once it is gone.
    await q.query(grantAppRolesFunction({ withModelPrices: false }));
    await q.query(`DROP TABLE model_prices`);
    await q.query(`SELECT gatehouse_grant_app_roles()`);
  }
}

/**
 * The privilege matrix of 1765000000000, with or without model_prices. A copy rather than an
 * import: a migration must keep doing what it did when it was released.
 */
function grantAppRolesFunction({ withModelPrices }: { withModelPrices: boolean }): string {
  const modelPrices = withModelPrices
    ? `GRANT SELECT, INSERT, UPDATE, DELETE ON model_prices TO ${GATEWAY};`
    : '';
  return `
      CREATE OR REPLACE FUNCTION gatehouse_grant_app_roles() RETURNS void
      LANGUAGE plpgsql
      SET search_path = pg_catalog, public
      AS $fn$
      BEGIN
        -- From nothing, every time: a privilege granted by hand or by an old version goes.
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, ${GATEWAY}, ${WORKER}, ${AUDIT};
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC, ${GATEWAY}, ${WORKER}, ${AUDIT};
        REVOKE ALL ON FUNCTION audit_apply_retention(timestamptz, timestamptz) FROM PUBLIC;
        REVOKE ALL ON FUNCTION gatehouse_grant_app_roles() FROM PUBLIC;
        EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO ${GATEWAY}, ${WORKER}, ${AUDIT}',
                       current_database());
        GRANT USAGE ON SCHEMA public TO ${GATEWAY}, ${WORKER}, ${AUDIT};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${GATEWAY}, ${WORKER}, ${AUDIT};
        -- Each app reads the migration history at start (nothing to apply: it cannot migrate).
        GRANT SELECT ON migrations TO ${GATEWAY}, ${WORKER}, ${AUDIT};

        -- gateway: keys, accounts and jobs are its business; the audit trail it only reads.
        GRANT SELECT, INSERT, UPDATE, DELETE ON api_keys, upstream_accounts, jobs TO ${GATEWAY};
        GRANT SELECT ON audit_events, audit_checkpoints, audit_dead_letters, audit_chain_start,
                        usage_daily TO ${GATEWAY};
        ${modelPrices}

        -- proxy-worker: reads the accounts it calls with, records how async jobs end.
        GRANT SELECT ON upstream_accounts TO ${WORKER};
        GRANT SELECT, UPDATE ON jobs TO ${WORKER};

        -- audit: appends to the chain; rows leave only through audit_apply_retention().
        GRANT SELECT, INSERT ON audit_events, audit_dead_letters, audit_chain_start TO ${AUDIT};
        GRANT SELECT ON audit_checkpoints, audit_deleted_events TO ${AUDIT};
        GRANT SELECT, INSERT, UPDATE ON usage_daily TO ${AUDIT};
        GRANT SELECT, DELETE ON jobs TO ${AUDIT};
        GRANT EXECUTE ON FUNCTION audit_apply_retention(timestamptz, timestamptz) TO ${AUDIT};
      END
      $fn$`;
}
