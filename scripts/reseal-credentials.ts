import 'reflect-metadata';
import { loadConfigOrExit } from '@gatehouse/config';
import {
  openAccountCredential,
  parsePrivateKeyring,
  parsePublicKey,
  sealAccountCredential,
} from '@gatehouse/crypto';
import { dataSourceOptions } from '@gatehouse/db';
import { DataSource } from 'typeorm';

/**
 * `npm run credentials:reseal [-- --dry-run]`: after a key rotation, seals every upstream
 * credential again under CREDENTIALS_PUBLIC_KEY (the new key id), opening the old ones with the
 * CREDENTIALS_PRIVATE_KEYS keyring. One transaction: either every account moves or none does.
 * Prints counts and account ids, never a credential.
 */

type Row = {
  id: string;
  provider: string;
  base_url: string;
  sealed_credential: string;
  credential_key_id: string;
};

class ResealError extends Error {}

async function main(): Promise<void> {
  const dryRun = process.argv.includes('--dry-run');
  const { config } = loadConfigOrExit('cli');
  if (!config.CREDENTIALS_PUBLIC_KEY || !config.CREDENTIALS_PRIVATE_KEYS) {
    process.stderr.write(
      'reseal: CREDENTIALS_PUBLIC_KEY (the new key) and CREDENTIALS_PRIVATE_KEYS (a keyring ' +
        'that opens every current credential) are both required\n',
    );
    process.exit(78);
  }
  let target: ReturnType<typeof parsePublicKey>;
  let keyring: ReturnType<typeof parsePrivateKeyring>;
  try {
    target = parsePublicKey(config.CREDENTIALS_PUBLIC_KEY);
    keyring = parsePrivateKeyring(config.CREDENTIALS_PRIVATE_KEYS);
  } catch (err) {
    process.stderr.write(`reseal: ${(err as Error).message}\n`);
    process.exit(78);
  }
  if (!keyring.has(target.kid)) {
    process.stderr.write(
      `reseal: warning: CREDENTIALS_PRIVATE_KEYS has no key "${target.kid}"; ` +
        'add it to the proxy-worker keyring or it cannot open the re-sealed credentials\n',
    );
  }

  const dataSource = await new DataSource(dataSourceOptions(config)).initialize();
  try {
    const counts = await dataSource.transaction(async (manager) => {
      // Locked so an admin changing a credential meanwhile waits for us instead of being lost.
      const rows = await manager.query<Row[]>(
        `SELECT id, provider, base_url, sealed_credential, credential_key_id FROM upstream_accounts
          ORDER BY created_at, id FOR UPDATE`,
      );
      const stale = rows.filter((r) => r.credential_key_id !== target.kid);
      const failed: string[] = [];
      const resealed: { id: string; sealed: string }[] = [];
      for (const row of stale) {
        const account = { id: row.id, provider: row.provider, baseUrl: row.base_url };
        try {
          const { plaintext } = openAccountCredential(row.sealed_credential, keyring, account);
          // Re-sealed bound to the account's provider and origin (credentials stored before
          // binding are bound from here on).
          const sealed = sealAccountCredential(plaintext, target, account);
          // Prove the new blob opens before we replace the old one, when we hold the key.
          if (
            keyring.has(target.kid) &&
            openAccountCredential(sealed, keyring, account).plaintext !== plaintext
          ) {
            throw new Error('verification failed');
          }
          resealed.push({ id: row.id, sealed });
        } catch {
          failed.push(`${row.id} (key ${row.credential_key_id})`);
        }
      }
      if (failed.length > 0) {
        throw new ResealError(
          `${failed.length} credential(s) could not be opened with CREDENTIALS_PRIVATE_KEYS; ` +
            `nothing was changed:\n  ${failed.join('\n  ')}`,
        );
      }
      if (!dryRun) {
        for (const { id, sealed } of resealed) {
          await manager.query(
            `UPDATE upstream_accounts
                SET sealed_credential = $1, credential_key_id = $2, updated_at = now()
              WHERE id = $3`,
            [sealed, target.kid, id],
          );
        }
      }
      return { total: rows.length, current: rows.length - stale.length, resealed: resealed.length };
    });
    process.stdout.write(
      `${dryRun ? 'dry run: would re-seal' : 're-sealed'} ${counts.resealed} of ${counts.total} ` +
        `account credential(s) under key ${target.kid}; ${counts.current} already current\n`,
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof ResealError ? err.message : `failed: ${(err as Error).message}`;
  process.stderr.write(`reseal: ${message}\n`);
  process.exit(1);
});
