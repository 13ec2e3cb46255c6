import { randomBytes } from 'node:crypto';
import {
  generateCredentialKeyPair,
  openCredential,
  parsePrivateKeyring,
  parsePublicKey,
  sealCredential,
  sealedFormat,
  sealedKeyId,
} from './credential-box.js';

const CONTEXT = 'upstream-account:7d0c2a52-7a55-4d7e-9a53-1f7f5a2d8f10';

function secret(): string {
  return `sk-${randomBytes(24).toString('base64url')}`;
}

describe('credential box', () => {
  const pair = generateCredentialKeyPair();
  const recipient = parsePublicKey(pair.publicKey);
  const keyring = parsePrivateKeyring(pair.privateKey);

  it('generates env-ready specs with a dated default key id', () => {
    expect(pair.kid).toMatch(/^k\d{8}[0-9a-f]{4}$/);
    expect(pair.publicKey.startsWith(`${pair.kid}:`)).toBe(true);
    expect(pair.privateKey.startsWith(`${pair.kid}:`)).toBe(true);
    expect(generateCredentialKeyPair('custom_1').kid).toBe('custom_1');
    expect(() => generateCredentialKeyPair('bad.kid')).toThrow();
  });

  it('round-trips a credential and names its key id', () => {
    const plaintext = secret();
    const sealed = sealCredential(plaintext, recipient, CONTEXT);
    expect(sealed).toMatch(/^v2\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){4}$/);
    expect(sealed).not.toContain(plaintext);
    expect(sealedKeyId(sealed)).toBe(pair.kid);
    expect(sealedFormat(sealed)).toBe('v2');
    expect(openCredential(sealed, keyring, CONTEXT)).toBe(plaintext);
  });

  it('round-trips unicode and long credentials', () => {
    const plaintext = `ключ-🔑-${'x'.repeat(9000)}`;
    expect(openCredential(sealCredential(plaintext, recipient, CONTEXT), keyring, CONTEXT)).toBe(
      plaintext,
    );
  });

  it('produces a different ciphertext every time', () => {
    const plaintext = secret();
    const a = sealCredential(plaintext, recipient, CONTEXT);
    const b = sealCredential(plaintext, recipient, CONTEXT);
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]); // fresh ephemeral key
    expect(a.split('.')[3]).not.toBe(b.split('.')[3]); // fresh IV
  });

  it('refuses to open under another context', () => {
    const sealed = sealCredential(secret(), recipient, CONTEXT);
    expect(() => openCredential(sealed, keyring, 'upstream-account:other')).toThrow(
      'credential could not be opened',
    );
  });

  it('refuses any tampered part', () => {
    const sealed = sealCredential(secret(), recipient, CONTEXT);
    const parts = sealed.split('.');
    for (let i = 2; i < parts.length; i++) {
      const bytes = Buffer.from(parts[i] ?? '', 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 0x01;
      const tampered = [...parts];
      tampered[i] = bytes.toString('base64url');
      expect(() => openCredential(tampered.join('.'), keyring, CONTEXT)).toThrow(
        'credential could not be opened',
      );
    }
    expect(() => openCredential(`${sealed}x`, keyring, CONTEXT)).toThrow(
      'credential could not be opened',
    );
    expect(() => openCredential('v1.garbage', keyring, CONTEXT)).toThrow(
      'credential could not be opened',
    );
  });

  it('refuses a blob relabelled with another key id', () => {
    const other = generateCredentialKeyPair();
    const both = parsePrivateKeyring(`${pair.privateKey},${other.privateKey}`);
    const parts = sealCredential(secret(), recipient, CONTEXT).split('.');
    parts[1] = other.kid;
    expect(() => openCredential(parts.join('.'), both, CONTEXT)).toThrow(
      'credential could not be opened',
    );
  });

  it('fails for an unknown key id', () => {
    const other = generateCredentialKeyPair();
    const sealed = sealCredential(secret(), parsePublicKey(other.publicKey), CONTEXT);
    expect(() => openCredential(sealed, keyring, CONTEXT)).toThrow(
      'credential could not be opened',
    );
  });

  it('opens credentials sealed under any key of the keyring', () => {
    const next = generateCredentialKeyPair();
    const both = parsePrivateKeyring(` ${pair.privateKey} , ${next.privateKey} `);
    expect([...both.keys()]).toEqual([pair.kid, next.kid]);
    const old = secret();
    const fresh = secret();
    const sealedOld = sealCredential(old, recipient, CONTEXT);
    const sealedNew = sealCredential(fresh, parsePublicKey(next.publicKey), CONTEXT);
    expect(openCredential(sealedOld, both, CONTEXT)).toBe(old);
    expect(openCredential(sealedNew, both, CONTEXT)).toBe(fresh);
  });

  it('never echoes key material in parse errors', () => {
    const pub = pair.publicKey.split(':')[1] ?? '';
    const priv = pair.privateKey.split(':')[1] ?? '';
    const bad = [
      pub,
      `bad kid!:${pub}`,
      `k1:${pub.slice(0, -6)}`,
      `k1:${pub}==`,
      `k1:${priv}`, // a private key where a public one belongs
      `${'k'.repeat(40)}:${pub}`,
    ];
    for (const spec of bad) {
      let message = '';
      try {
        parsePublicKey(spec);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain(pub.slice(0, 16));
      expect(message).not.toContain(priv.slice(0, 16));
    }
    const badRings = [priv, `k1:${priv.slice(0, -4)}`, `k1:${pub}`, `k1:${priv},k1:${priv}`, ' , '];
    for (const spec of badRings) {
      let message = '';
      try {
        parsePrivateKeyring(spec);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain(priv.slice(0, 16));
      expect(message).not.toContain(pub.slice(0, 16));
    }
  });

  it('rejects a non-X25519 key', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const ed = generateKeyPairSync('ed25519');
    const der = ed.publicKey.export({ type: 'spki', format: 'der' }).toString('base64url');
    expect(() => parsePublicKey(`ed:${der}`)).toThrow('not an X25519 key');
  });

  it('reports malformed blobs without a key id', () => {
    expect(() => sealedKeyId('not-sealed')).toThrow('sealed credential is malformed');
  });
});
