import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type TestDatabase = { name: string; url: string; drop(): Promise<void> };

/**
 * A database of the suite's own, dropped (with its connections) when the suite ends. The bench
 * names its own and may use another server (`adminUrl`: a superuser's URL to it).
 */
export async function createTestDatabase(
  options: { adminUrl?: string; namePrefix?: string } = {},
): Promise<TestDatabase> {
  const adminUrl = options.adminUrl ?? ADMIN_URL;
  const name = `${options.namePrefix ?? 'gatehouse_test_'}${randomBytes(6).toString('hex')}`;
  const withAdmin = <T>(run: (client: pg.Client) => Promise<T>) => withClient(adminUrl, run);
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
