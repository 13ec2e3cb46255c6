import 'reflect-metadata';
import { announceDevAdminKey, loadConfigOrExit } from '@gatehouse/config';
import { dataSourceOptions, ensureDatabase, runMigrations } from '@gatehouse/db';
import { DataSource } from 'typeorm';

/** `npm run migration:run` and the first step of `npm start`: create the database, migrate it. */
export async function prepareDatabase(): Promise<void> {
  const { config, generatedAdminKey } = loadConfigOrExit('cli');
  if (generatedAdminKey) announceDevAdminKey(generatedAdminKey, config.DEV_SECRETS_FILE);
  if (await ensureDatabase(config.DATABASE_URL)) {
    process.stdout.write(`created database ${new URL(config.DATABASE_URL).pathname.slice(1)}\n`);
  }
  const dataSource = await new DataSource(dataSourceOptions(config)).initialize();
  try {
    const applied = await runMigrations(dataSource);
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
