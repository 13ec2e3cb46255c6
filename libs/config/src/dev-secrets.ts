import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateCredentialKeyPair } from '@gatehouse/crypto';
import { ConfigError } from './config-error.js';

export type DevSecrets = { ADMIN_API_KEY: string; KEY_PEPPER: string };

/**
 * Outside production a newcomer should not have to invent secrets: missing ones are generated
 * once and kept in a local file (mode 0600, git-ignored) so every app and every restart agree.
 */
export function loadOrCreateDevSecrets(file: string): { secrets: DevSecrets; created: boolean } {
  return loadOrCreate(file, readDevSecrets, () => ({
    ADMIN_API_KEY: `gha_${randomBytes(24).toString('hex')}`,
    KEY_PEPPER: randomBytes(32).toString('hex'),
  }));
}

export type DevCredentialKeys = {
  CREDENTIALS_PUBLIC_KEY: string;
  CREDENTIALS_PRIVATE_KEYS: string;
};

/**
 * The dev X25519 pair that seals upstream credentials, so `npm start` can store and use an
 * account at once. In production the gateway gets only the public half, the worker the private.
 */
export function loadOrCreateDevCredentialKeys(file: string): DevCredentialKeys {
  return loadOrCreate(file, readDevCredentialKeys, () => {
    const pair = generateCredentialKeyPair('dev');
    return { CREDENTIALS_PUBLIC_KEY: pair.publicKey, CREDENTIALS_PRIVATE_KEYS: pair.privateKey };
  }).secrets;
}

export type DevAuditEventKey = { AUDIT_EVENT_KEY: string };

/** The dev key that signs audit events on the queue, shared by the apps of one `npm start`. */
export function loadOrCreateDevAuditEventKey(file: string): DevAuditEventKey {
  return loadOrCreate(file, readDevAuditEventKey, () => ({
    AUDIT_EVENT_KEY: randomBytes(32).toString('hex'),
  })).secrets;
}

function readDevAuditEventKey(file: string): DevAuditEventKey {
  let parsed: Partial<DevAuditEventKey> | null = null;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevAuditEventKey> | null;
  } catch {
    // reported below
  }
  const key = parsed?.AUDIT_EVENT_KEY;
  if (typeof key === 'string' && key.length >= 32) return { AUDIT_EVENT_KEY: key };
  throw new ConfigError([
    `${file} is unreadable or incomplete; delete it to generate a new dev AUDIT_EVENT_KEY`,
  ]);
}

export type DevAuditChainKey = { AUDIT_CHAIN_KEY: string };

/** The dev audit chain key, kept in a file of its own: only the audit app ever reads it. */
export function loadOrCreateDevAuditChainKey(file: string): DevAuditChainKey {
  return loadOrCreate(file, readDevAuditChainKey, () => ({
    AUDIT_CHAIN_KEY: randomBytes(32).toString('hex'),
  })).secrets;
}

function loadOrCreate<T>(
  file: string,
  read: (file: string) => T,
  generate: () => T,
): { secrets: T; created: boolean } {
  if (existsSync(file)) return { secrets: read(file), created: false };
  const secrets = generate();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Written in full to a private temporary file, then linked into place: the link fails if
  // another app (npm start runs three at once) created the file meanwhile, and nobody can ever
  // read a half-written file. Then we use what the other app wrote.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { secrets: read(file), created: false };
  } finally {
    unlinkSync(tmp);
  }
  return { secrets, created: true };
}

/** An existing file is never overwritten: a new pepper would silently invalidate every key. */
function readDevSecrets(file: string): DevSecrets {
  let parsed: Partial<DevSecrets> | null = null;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets> | null;
  } catch {
    // reported below
  }
  const { ADMIN_API_KEY, KEY_PEPPER } = parsed ?? {};
  if (
    typeof ADMIN_API_KEY === 'string' &&
    ADMIN_API_KEY &&
    typeof KEY_PEPPER === 'string' &&
    KEY_PEPPER
  ) {
    return { ADMIN_API_KEY, KEY_PEPPER };
  }
  throw new ConfigError([
    'DEV_SECRETS_FILE is unreadable or incomplete; delete it to generate new dev secrets, or set ADMIN_API_KEY and KEY_PEPPER',
  ]);
}

function readDevCredentialKeys(file: string): DevCredentialKeys {
  let parsed: Partial<DevCredentialKeys> | null = null;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevCredentialKeys> | null;
  } catch {
    // reported below
  }
  const { CREDENTIALS_PUBLIC_KEY, CREDENTIALS_PRIVATE_KEYS } = parsed ?? {};
  if (typeof CREDENTIALS_PUBLIC_KEY === 'string' && typeof CREDENTIALS_PRIVATE_KEYS === 'string') {
    return { CREDENTIALS_PUBLIC_KEY, CREDENTIALS_PRIVATE_KEYS };
  }
  throw new ConfigError([
    'DEV_SECRETS_FILE.credentials is unreadable or incomplete; delete it to generate a new dev pair',
  ]);
}

/** Never regenerated over an existing file: a new key would make the stored chain unverifiable. */
function readDevAuditChainKey(file: string): DevAuditChainKey {
  let parsed: Partial<DevAuditChainKey> | null = null;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevAuditChainKey> | null;
  } catch {
    // reported below
  }
  const key = parsed?.AUDIT_CHAIN_KEY;
  if (typeof key === 'string' && key.length >= 32) return { AUDIT_CHAIN_KEY: key };
  throw new ConfigError([
    'DEV_SECRETS_FILE.audit is unreadable or incomplete; set AUDIT_CHAIN_KEY, or delete it to generate a new dev key (the stored chain will no longer verify)',
  ]);
}
