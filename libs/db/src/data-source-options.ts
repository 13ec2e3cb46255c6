import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';

export type DbConfig = { DATABASE_URL: string };

/** The one place that says how Gatehouse talks to Postgres. Schema changes go through migrations. */
export function dataSourceOptions(config: DbConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.DATABASE_URL,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false, // run under an advisory lock instead, see run-migrations.ts
    extra: {
      max: 10,
      connectionTimeoutMillis: 5_000,
      // Keep a dead server from hanging requests: fail the query and let /ready report it.
      query_timeout: 10_000,
    },
  };
}
