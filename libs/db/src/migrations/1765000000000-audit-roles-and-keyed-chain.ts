import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_CHAIN_LOCK_ID } from '../audit-chain-lock.js';

const GATEWAY = 'gatehouse_gateway';
const WORKER = 'gatehouse_proxy_worker';
const AUDIT = 'gatehouse_audit';

/**
 * One role per app, and an audit trail that is append-only for all of them but retention.
 *
 * - Roles: created here when the migrating role may create roles (a local superuser); in
 *   compose the superuser's init script creates them first (deploy/postgres/init-app-role.sh),
 *   because the database owner that migrates has no CREATEROLE.
 * - `gatehouse_grant_app_roles()`: the whole privilege matrix in one place, re-applied after
 *   every migration run and every restore. Nobody but the owner may UPDATE or DELETE an audit
 *   row; the audit app may only INSERT them.
 * - `audit_apply_retention()`: SECURITY DEFINER, the one way rows leave the chain. It deletes a
 *   whole prefix, remembers the deleted event ids (so a redelivered event is not stored again),
 *   writes the checkpoint and drops old bodies, under the chain lock.
 * - `audit_chain_start`: where the HMAC chain begins. Rows before it were linked with plain
 *   SHA-256 by earlier versions; the audit app writes this row (with a MAC) before its first
 *   keyed link, and verification checks that MAC.
 */
export class AuditRolesAndKeyedChain1765000000000 implements MigrationInterface {
  name = 'AuditRolesAndKeyedChain1765000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const role of [GATEWAY, WORKER, AUDIT]) {
      await q.query(`
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
            IF NOT (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
              RAISE EXCEPTION 'database role ${role} does not exist'
                USING HINT = 'create the app roles first: deploy/postgres/init-app-role.sh (docs/upgrading.md)';
            END IF;
            BEGIN
              -- Login without a password: usable only where pg_hba trusts local connections
              -- (development, tests); compose's init script sets passwords.
              CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
              NULL; -- created meanwhile by a migration of another database on this server
            END;
          END IF;
        END $$`);
    }

    await q.query(`
      CREATE TABLE audit_chain_start (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        legacy_last_seq bigint NOT NULL,
        legacy_last_hash char(64) NOT NULL,
        mac char(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE audit_deleted_events (
        event_id uuid PRIMARY KEY,
        deleted_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_deleted_events_at_idx ON audit_deleted_events (deleted_at)`);
    // Verification looks each checkpoint's retention.run event up by its checkpoint.
    await q.query(`
      CREATE INDEX audit_events_retention_idx ON audit_events (((data->'checkpoint'->>'last_deleted_seq')))
       WHERE type = 'retention.run'`);

    await q.query(`
      CREATE FUNCTION audit_apply_retention(events_before timestamptz, bodies_before timestamptz)
      RETURNS TABLE (deleted_events bigint, deleted_bodies bigint,
                     last_deleted_seq bigint, last_deleted_hash text)
      LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog, public
      AS $fn$
      DECLARE
        cut_seq bigint;
        cut_hash text;
        n bigint := 0;
        b bigint := 0;
      BEGIN
        -- The chain lock: no ingest batch is appended half-way through (re-entrant for the
        -- caller, which holds it already to append the retention.run event after this).
        PERFORM pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_ID});
        -- A whole prefix, up to the newest row recorded before the cut, so what stays links up.
        SELECT e.seq, e.hash INTO cut_seq, cut_hash
          FROM audit_events e
         WHERE e.seq = (SELECT max(x.seq) FROM audit_events x WHERE x.recorded_at < events_before);
        IF cut_seq IS NOT NULL THEN
          WITH gone AS (
                 DELETE FROM audit_events WHERE seq <= cut_seq RETURNING event_id
               ),
               remembered AS (
                 INSERT INTO audit_deleted_events (event_id) SELECT event_id FROM gone
                 ON CONFLICT (event_id) DO NOTHING
               )
          SELECT count(*) INTO n FROM gone;
          INSERT INTO audit_checkpoints (last_deleted_seq, last_deleted_hash, deleted_count)
          VALUES (cut_seq, cut_hash, n);
        END IF;
        UPDATE audit_events SET bodies = NULL WHERE bodies IS NOT NULL AND recorded_at < bodies_before;
        GET DIAGNOSTICS b = ROW_COUNT;
        -- A redelivery comes within minutes of a crash; a month of ids is far more than enough.
        DELETE FROM audit_deleted_events WHERE deleted_at < now() - interval '30 days';
        RETURN QUERY SELECT n, b, cut_seq, cut_hash::text;
      END
      $fn$`);
    await q.query(
      `REVOKE ALL ON FUNCTION audit_apply_retention(timestamptz, timestamptz) FROM PUBLIC`,
    );

    await q.query(`
      CREATE FUNCTION gatehouse_grant_app_roles() RETURNS void
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
      $fn$`);
    await q.query(`SELECT gatehouse_grant_app_roles()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION gatehouse_grant_app_roles()`);
    await q.query(`DROP FUNCTION audit_apply_retention(timestamptz, timestamptz)`);
    await q.query(`DROP INDEX audit_events_retention_idx`);
    await q.query(`DROP TABLE audit_deleted_events, audit_chain_start`);
    // The roles stay: they are global to the server and may serve other databases.
    for (const role of [GATEWAY, WORKER, AUDIT]) {
      await q.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}`);
      await q.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${role}`);
    }
  }
}
