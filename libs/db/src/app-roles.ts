/**
 * The database role each app connects as (fixed names: migrations grant to them). Roles are
 * global to a Postgres server; what each may do is granted per database by
 * `gatehouse_grant_app_roles()` (migration 1765000000000). The owner of the database, which runs
 * the migrations, is none of these.
 */
export const APP_DB_ROLES = {
  gateway: 'gatehouse_gateway',
  'proxy-worker': 'gatehouse_proxy_worker',
  audit: 'gatehouse_audit',
} as const;
export type AppDbRole = (typeof APP_DB_ROLES)[keyof typeof APP_DB_ROLES];

/**
 * Re-applies the grants: after migrations (idempotent) and after a restore, which brings back
 * tables without their privileges (`pg_restore --no-privileges`). Run as the database owner.
 */
export const GRANT_APP_ROLES_SQL = 'SELECT gatehouse_grant_app_roles()';
