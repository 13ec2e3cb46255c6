import type { AppName, RawConfig } from './config.schema.js';

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
export type AppWithDbRole = keyof typeof APP_DB_ROLES;
export type AppDbRole = (typeof APP_DB_ROLES)[AppWithDbRole];

/** The variable holding each app role's password (compose: .env.postgres). */
export const APP_DB_PASSWORD_VARIABLES = {
  gateway: 'GATEWAY_DB_PASSWORD',
  'proxy-worker': 'PROXY_WORKER_DB_PASSWORD',
  audit: 'AUDIT_DB_PASSWORD',
} as const satisfies Record<AppWithDbRole, keyof RawConfig>;

type Urls = Pick<RawConfig, 'DATABASE_URL' | 'REDIS_URL'>;

/**
 * DATABASE_URL and REDIS_URL with the credentials this process logs in with. In compose the URLs
 * say only where, and each secret lives in one env file of its own: an app logs in to Postgres
 * as its own role with its own password, the CLI (migrations) as the owner APP_DB_USER, and every
 * app to Redis with REDIS_PASSWORD. Where a password is not set, the URL is used as it is
 * (development, tests, or a URL with credentials). Returns problems instead of guessing when the
 * two places disagree.
 */
export function withConnectionCredentials(
  app: AppName,
  raw: RawConfig,
): { urls: Urls; problems: string[] } {
  const problems: string[] = [];
  const login = databaseLogin(app, raw);
  let DATABASE_URL = raw.DATABASE_URL;
  if (login) {
    const url = new URL(raw.DATABASE_URL);
    if (url.password) {
      problems.push(
        `DATABASE_URL carries a password while ${login.variable} is set: keep the password in one place`,
      );
    } else {
      url.username = encodeURIComponent(login.user);
      url.password = encodeURIComponent(login.password);
      DATABASE_URL = url.toString();
    }
  }
  let REDIS_URL = raw.REDIS_URL;
  if (raw.REDIS_PASSWORD) {
    const url = new URL(raw.REDIS_URL);
    if (url.password) {
      problems.push(
        'REDIS_URL carries a password while REDIS_PASSWORD is set: keep the password in one place',
      );
    } else {
      url.password = encodeURIComponent(raw.REDIS_PASSWORD);
      REDIS_URL = url.toString();
    }
  }
  return { urls: { DATABASE_URL, REDIS_URL }, problems };
}

function databaseLogin(
  app: AppName,
  raw: RawConfig,
): { user: string; password: string; variable: string } | undefined {
  if (app === 'cli') {
    if (!raw.APP_DB_PASSWORD) return undefined;
    // Without APP_DB_USER the URL's user (if any) is the owner.
    const user = raw.APP_DB_USER ?? decodeURIComponent(new URL(raw.DATABASE_URL).username);
    return user ? { user, password: raw.APP_DB_PASSWORD, variable: 'APP_DB_PASSWORD' } : undefined;
  }
  const variable = APP_DB_PASSWORD_VARIABLES[app];
  const password = raw[variable];
  return password ? { user: APP_DB_ROLES[app], password, variable } : undefined;
}

/**
 * In production an app must log in as its own role: the owner may rewrite the audit trail and
 * change the schema, which no app needs (docs/upgrading.md says how to move over).
 */
export function databaseRoleProblems(app: AppName, databaseUrl: string): string[] {
  if (app === 'cli') return [];
  const user = decodeURIComponent(new URL(databaseUrl).username);
  if (user === APP_DB_ROLES[app]) return [];
  return [
    `${app} must connect to the database as its own role ${APP_DB_ROLES[app]} in production: ` +
      `set ${APP_DB_PASSWORD_VARIABLES[app]} (docs/upgrading.md)`,
  ];
}
