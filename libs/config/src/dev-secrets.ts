import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type DevSecrets = { ADMIN_API_KEY: string; KEY_PEPPER: string };

/**
 * Outside production a newcomer should not have to invent secrets: missing ones are generated
 * once and kept in a local file (mode 0600, git-ignored) so every app and every restart agree.
 */
export function loadOrCreateDevSecrets(file: string): { secrets: DevSecrets; created: boolean } {
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>;
    if (parsed.ADMIN_API_KEY && parsed.KEY_PEPPER) {
      return { secrets: { ADMIN_API_KEY: parsed.ADMIN_API_KEY, KEY_PEPPER: parsed.KEY_PEPPER }, created: false };
    }
  }
  const secrets: DevSecrets = {
    ADMIN_API_KEY: `gha_${randomBytes(24).toString('hex')}`,
    KEY_PEPPER: randomBytes(32).toString('hex'),
  };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // 'wx' fails if another app created the file meanwhile; then we read what it wrote.
  try {
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  } catch {
    return loadOrCreateDevSecrets(file);
  }
  return { secrets, created: true };
}
