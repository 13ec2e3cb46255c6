import { generateCredentialKeyPair } from '@gatehouse/crypto';

/**
 * `npm run keys:generate [-- <kid>]`: a fresh X25519 key pair for sealing upstream credentials,
 * printed as env lines. To rotate, set the new public key on the gateway, append the new private
 * key to the workers' keyring, then run `npm run credentials:reseal`.
 */
function main(): void {
  const pair = generateCredentialKeyPair(process.argv[2]);
  process.stdout.write(
    [
      `# Credential key pair ${pair.kid}`,
      '# Public key: gateway (seals credentials that admins post).',
      `CREDENTIALS_PUBLIC_KEY=${pair.publicKey}`,
      '# Private key: proxy-worker ONLY (and the re-seal command). Never give it to the gateway.',
      '# When rotating, append it to the existing list: old,new.',
      `CREDENTIALS_PRIVATE_KEYS=${pair.privateKey}`,
      '',
    ].join('\n'),
  );
}

try {
  main();
} catch (err) {
  process.stderr.write(`key generation failed: ${(err as Error).message}\n`);
  process.exit(1);
}
