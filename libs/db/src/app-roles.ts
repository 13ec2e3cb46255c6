// The role names live with the code that logs in as them (connection-credentials.ts).
export { APP_DB_ROLES, type AppDbRole } from '@gatehouse/config';

/**
 * Re-applies the grants: after migrations (idempotent) and after a restore, which brings back
 * tables without their privileges (`pg_restore --no-privileges`). Run as the database owner.
 */
export const GRANT_APP_ROLES_SQL = 'SELECT gatehouse_grant_app_roles()';
