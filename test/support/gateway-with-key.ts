import pg from 'pg';
import { createKey, type CreatedKey } from './admin-client.js';
import { type SpawnedApp, spawnGateway } from './spawn-app.js';
import { createTestEnv, type TestEnv } from './test-env.js';

/** A suite's own gateway, its admin key, one client key and a connection to its database. */
export type GatewayWithKey = {
  env: TestEnv;
  gw: SpawnedApp & { url: string };
  admin: string;
  client: CreatedKey;
  db: pg.Client;
  /** The suite's BullMQ prefix (its Redis key prefix, hash-tagged). */
  bullPrefix: string;
  stop(): Promise<void>;
};

export type GatewayWithKeyOptions = {
  /** Variables the gateway gets on top of the suite's environment (e.g. a proxied database). */
  gatewayEnv?: (env: TestEnv) => Promise<Record<string, string>> | Record<string, string>;
  /** Fields of the client key. */
  key?: Record<string, unknown>;
};

/** Starts the common fixture; `stop()` undoes whatever of it was started. */
export async function startGatewayWithKey(
  options: GatewayWithKeyOptions = {},
): Promise<GatewayWithKey> {
  const env = await createTestEnv();
  let gw: (SpawnedApp & { url: string }) | undefined;
  let db: pg.Client | undefined;
  const stop = async () => {
    await db?.end();
    await gw?.stop();
    await env.cleanup();
  };
  try {
    const extra = (await options.gatewayEnv?.(env)) ?? {};
    gw = await spawnGateway({ ...env.env, ...extra });
    db = new pg.Client({ connectionString: env.database.url });
    await db.connect();
    const client = await createKey(gw.url, env.adminKey, options.key);
    return {
      env,
      gw,
      admin: env.adminKey,
      client,
      db,
      bullPrefix: `{${env.redisPrefix}}`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
