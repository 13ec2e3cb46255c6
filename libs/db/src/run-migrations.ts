import type { DataSource } from 'typeorm';

// Any fixed 64-bit number works; it only has to be the same in every app.
const MIGRATION_LOCK_ID = 7_310_451_922;

/**
 * Runs pending migrations while holding a Postgres advisory lock, so three apps (or many
 * replicas) starting together apply each migration exactly once.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lockRunner
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID])
      .catch(() => undefined);
    await lockRunner.release();
  }
}
