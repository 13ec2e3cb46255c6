import { APP_DB_ROLES } from '@gatehouse/db';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT as ROOT } from './project-root.js';

export type AppWithRole = keyof typeof APP_DB_ROLES;

/** `url` logged in as the app's own role (local Postgres trusts loopback: no password). */
export function roleUrl(url: string, app: AppWithRole): string {
  const u = new URL(url);
  u.username = APP_DB_ROLES[app];
  u.password = '';
  return u.toString();
}

/** Migrates and grants as the database owner, as compose's `migrate` service does. */
export function migrateAsOwner(env: Record<string, string>): Promise<string> {
  return new Promise((res, rej) => {
    execFile(
      process.execPath,
      [resolve(ROOT, 'dist/scripts/prepare-database.js')],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } },
      (err, stdout, stderr) => (err ? rej(new Error(`${err.message}\n${stderr}`)) : res(stdout)),
    );
  });
}

/** A client connected as the app's role. */
export async function clientAs(url: string, app: AppWithRole): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: roleUrl(url, app) });
  await client.connect();
  return client;
}

/** The SQLSTATE a statement fails with, or 'ok' when it succeeds. */
export async function sqlState(client: pg.Client, sql: string, params: unknown[] = []) {
  try {
    await client.query(sql, params);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}
