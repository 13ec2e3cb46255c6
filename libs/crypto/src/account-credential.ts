import {
  type OpeningKeyring,
  openCredential,
  type SealingKey,
  sealCredential,
  sealedFormat,
} from './credential-box.js';

/** What an upstream account's credential is bound to: the account, and where it may be sent. */
export type CredentialBinding = { id: string; provider: string; baseUrl: string };

/**
 * The associated data of an account's credential: its id, provider and base-URL origin. A row
 * whose base URL is pointed elsewhere (by a database write, say) no longer opens, so the worker
 * never sends a credential to a host it was not entered for.
 */
export function accountCredentialContext(account: CredentialBinding): string {
  return `upstream-account:${account.id}|${account.provider}|${new URL(account.baseUrl).origin}`;
}

/** The context of credentials sealed before binding (`v1` blobs): the account id alone. */
function unboundContext(accountId: string): string {
  return `upstream-account:${accountId}`;
}

export function sealAccountCredential(
  plaintext: string,
  recipient: SealingKey,
  account: CredentialBinding,
): string {
  return sealCredential(plaintext, recipient, accountCredentialContext(account));
}

export type OpenedAccountCredential = {
  plaintext: string;
  /** False for a credential sealed before binding: it opens for any base URL until re-entered. */
  bound: boolean;
};

/** Opens an account's credential under the context its label says it was sealed with. */
export function openAccountCredential(
  sealed: string,
  keyring: OpeningKeyring,
  account: CredentialBinding,
): OpenedAccountCredential {
  const bound = sealedFormat(sealed) !== 'v1';
  const context = bound ? accountCredentialContext(account) : unboundContext(account.id);
  return { plaintext: openCredential(sealed, keyring, context), bound };
}
