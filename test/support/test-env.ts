import { generateCredentialKeyPair } from '@gatehouse/crypto';
import { randomBytes } from 'node:crypto';
import { migrateAsOwner } from './db-roles.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { createRedisNamespace, TEST_REDIS_URL } from './test-redis.js';

export type TestEnv = {
  env: Record<string, string>;
  adminKey: string;
  /** AUDIT_CHAIN_KEY as the suite's audit app gets it ('' when a suite removed it). */
  chainKey: string;
  database: TestDatabase;
  redisPrefix: string;
  cleanup(): Promise<void>;
};

/** Secrets are generated per run: none is ever written in a fixture. */
export function randomSecret(): string {
  return randomBytes(32).toString('hex');
}

/** A fresh credential key pair as the apps read it from the environment (one per suite). */
export function credentialKeyEnv(): {
  CREDENTIALS_PUBLIC_KEY: string;
  CREDENTIALS_PRIVATE_KEYS: string;
} {
  const pair = generateCredentialKeyPair();
  return { CREDENTIALS_PUBLIC_KEY: pair.publicKey, CREDENTIALS_PRIVATE_KEYS: pair.privateKey };
}

/**
 * An isolated environment for one suite: its own database, its own Redis prefix, fresh secrets.
 * `overrides` replace or add variables (an `undefined` value removes one).
 */
export async function createTestEnv(
  overrides: Record<string, string | undefined> = {},
): Promise<TestEnv> {
  const database = await createTestDatabase();
  const redis = createRedisNamespace();
  const adminKey = `gha_${randomBytes(24).toString('hex')}`;
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redis.prefix,
    ADMIN_API_KEY: adminKey,
    KEY_PEPPER: randomSecret(),
    AUDIT_EVENT_KEY: randomSecret(),
    PII_VAULT_KEY: randomSecret(),
    // The audit app's chain key; tests that check links by hand read it from `chainKey`. Not in
    // production mode, where the gateway (what such suites start) refuses a secret it does not use.
    ...(overrides.NODE_ENV === 'production' ? {} : { AUDIT_CHAIN_KEY: randomSecret() }),
    ...overrides,
  };
  const clean = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  if (clean.NODE_ENV === 'production' && !('DB_RUN_MIGRATIONS' in clean)) {
    // As compose's `migrate` service: the owner migrates once, the apps (their own roles) never.
    await migrateAsOwner({ ...clean, NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    clean.DB_RUN_MIGRATIONS = 'false';
  }
  return {
    env: clean,
    adminKey: clean.ADMIN_API_KEY ?? adminKey,
    chainKey: clean.AUDIT_CHAIN_KEY ?? '',
    database,
    redisPrefix: redis.prefix,
    cleanup: async () => {
      await redis.cleanup();
      await database.drop();
    },
  };
}
