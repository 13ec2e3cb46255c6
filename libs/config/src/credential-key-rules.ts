import { parsePrivateKeyring, parsePublicKey } from '@gatehouse/crypto';
import { weakSecretReason } from './secret-rules.js';

const GENERATE = 'generate the pair with `npm run keys:generate`';

/**
 * Problems with the credential sealing keys, found at start with the other configuration (exit
 * 78, the variable named, its value never shown) instead of as a framework error when the app
 * that uses them is built.
 */
export function credentialKeyProblems(raw: {
  CREDENTIALS_PUBLIC_KEY?: string;
  CREDENTIALS_PRIVATE_KEYS?: string;
}): string[] {
  const problems: string[] = [];
  const check = (name: string, value: string | undefined, parse: (v: string) => unknown) => {
    if (value === undefined) return;
    try {
      parse(value);
    } catch {
      const placeholder = weakSecretReason(value)?.startsWith('is a placeholder');
      problems.push(
        `${name} is ${placeholder ? 'a placeholder value' : 'not a valid key'}; ${GENERATE}`,
      );
    }
  };
  check('CREDENTIALS_PUBLIC_KEY', raw.CREDENTIALS_PUBLIC_KEY, parsePublicKey);
  check('CREDENTIALS_PRIVATE_KEYS', raw.CREDENTIALS_PRIVATE_KEYS, parsePrivateKeyring);
  return problems;
}
