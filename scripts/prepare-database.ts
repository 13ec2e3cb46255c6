import 'reflect-metadata';
import { announceDevAdminKey, type LoadedConfig, loadConfigOrExit } from '@gatehouse/config';
import {
  dataSourceOptions,
  ensureDatabase,
  GRANT_APP_ROLES_SQL,
  runMigrations,
} from '@gatehouse/db';
import { DataSource } from 'typeorm';

/**
 * `npm run migration:run`, the first step of `npm start` and compose's `migrate` service: create
 * the database, migrate it and grant each app's role its privileges. Runs as the database owner.
 */
export async function prepareDatabase(loaded?: LoadedConfig): Promise<void> {
  // A caller that loaded the configuration has announced a generated admin key already.
  const { config, generatedAdminKey } = loaded ?? loadConfigOrExit('cli');
  if (generatedAdminKey && !loaded) {
    announceDevAdminKey(generatedAdminKey, config.DEV_SECRETS_FILE);
  }
  if (await ensureDatabase(config.DATABASE_URL)) {
    process.stdout.write(`created database ${new URL(config.DATABASE_URL).pathname.slice(1)}\n`);
  }
  const dataSource = await new DataSource(dataSourceOptions(config)).initialize();
  try {
    const applied = await runMigrations(dataSource);
    // Every time, not only with a new migration: a restore brings tables back without grants.
    await dataSource.query(GRANT_APP_ROLES_SQL);
    process.stdout.write(
      applied.length ? `applied migrations: ${applied.join(', ')}\n` : 'database is up to date\n',
    );
  } finally {
    await dataSource.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  prepareDatabase().catch((err: Error) => {
    process.stderr.write(`database preparation failed: ${err.message}\n`);
    process.exit(1);
  });
}
