import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

/**
 * ECIES box for upstream credentials: X25519 + HKDF-SHA256 + AES-256-GCM, node:crypto only.
 * Whoever holds the public key (the gateway) can seal; only the keyring (proxy-worker) opens.
 */

/** The recipient's public key and its id. */
export type SealingKey = { kid: string; key: KeyObject };
/** Key id → X25519 private key: every key a sealed credential may still be sealed under. */
export type OpeningKeyring = Map<string, KeyObject>;

/**
 * The label new blobs carry. The box is the same in both; the label says what the caller bound
 * as context: `v2` blobs were sealed after credentials were bound to their upstream (see
 * account-credential.ts), `v1` ones before. Relabelling cannot help an attacker: the context
 * is in the AEAD's associated data, so a blob opens only under the context it was sealed with.
 */
const VERSION = 'v2';
const VERSIONS: ReadonlySet<string> = new Set(['v1', 'v2']);

export type SealedFormat = 'v1' | 'v2';
const INFO = 'gatehouse/credential/v1';
const KID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const B64U_PATTERN = /^[A-Za-z0-9_-]*$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const RAW_KEY_BYTES = 32;
const OPEN_FAILED = 'credential could not be opened';

/** Parses `kid:base64url(SPKI DER)` of an X25519 public key. Errors never echo the input. */
export function parsePublicKey(spec: string): SealingKey {
  const { kid, der } = splitSpec(spec, 'public key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    throw new Error(`credential public key "${kid}" is not a valid SPKI DER public key`);
  }
  if (key.asymmetricKeyType !== 'x25519') {
    throw new Error(`credential public key "${kid}" is not an X25519 key`);
  }
  return { kid, key };
}

/** Parses a comma list of `kid:base64url(PKCS8 DER)` X25519 private keys. */
export function parsePrivateKeyring(spec: string): OpeningKeyring {
  const keyring: OpeningKeyring = new Map();
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) throw new Error('credential private keyring is empty');
  for (const entry of entries) {
    const { kid, der } = splitSpec(entry, 'private key');
    if (keyring.has(kid)) throw new Error(`credential private key id "${kid}" appears twice`);
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch {
      throw new Error(`credential private key "${kid}" is not a valid PKCS8 DER private key`);
    }
    if (key.asymmetricKeyType !== 'x25519') {
      throw new Error(`credential private key "${kid}" is not an X25519 key`);
    }
    keyring.set(kid, key);
  }
  return keyring;
}

/** A fresh key pair as env-ready specs: `CREDENTIALS_PUBLIC_KEY` and one keyring entry. */
export function generateCredentialKeyPair(kid: string = defaultKid()): {
  kid: string;
  publicKey: string;
  privateKey: string;
} {
  if (!KID_PATTERN.test(kid)) throw new Error('key id must match [A-Za-z0-9_-]{1,32}');
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const pub = publicKey.export({ type: 'spki', format: 'der' }).toString('base64url');
  const priv = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64url');
  return { kid, publicKey: `${kid}:${pub}`, privateKey: `${kid}:${priv}` };
}

/**
 * Seals `plaintext` to `recipient`. `context` is bound as associated data (with the key id), so
 * a blob sealed for one account cannot be opened as another's.
 * Output: `v2.<kid>.<ephemeral pub>.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
export function sealCredential(plaintext: string, recipient: SealingKey, context: string): string {
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPub = rawPublicKey(ephemeral.publicKey);
  const key = deriveKey(
    diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient.key }),
    ephemeralPub,
    rawPublicKey(recipient.key),
  );
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(recipient.kid, context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  key.fill(0);
  return [VERSION, recipient.kid, ephemeralPub, iv, ciphertext, tag]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** Opens a sealed credential. Any failure is the same generic error: nothing to probe. */
export function openCredential(sealed: string, keyring: OpeningKeyring, context: string): string {
  try {
    const parts = parseSealed(sealed);
    const privateKey = keyring.get(parts.kid);
    if (!privateKey) throw new Error('unknown key id');
    const key = deriveKey(
      diffieHellman({
        privateKey,
        publicKey: createPublicKey({
          key: { kty: 'OKP', crv: 'X25519', x: parts.ephemeralPub.toString('base64url') },
          format: 'jwk',
        }),
      }),
      parts.ephemeralPub,
      rawPublicKey(createPublicKey(privateKey)),
    );
    const decipher = createDecipheriv('aes-256-gcm', key, parts.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(parts.kid, context));
    decipher.setAuthTag(parts.tag);
    const plaintext = Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
    key.fill(0);
    return plaintext.toString('utf8');
  } catch {
    throw new Error(OPEN_FAILED);
  }
}

/** The label of a sealed credential: which context scheme its sealer used. */
export function sealedFormat(sealed: string): SealedFormat {
  try {
    return parseSealed(sealed).version;
  } catch {
    throw new Error('sealed credential is malformed');
  }
}

/** The key id a credential was sealed under (to find what a re-seal must touch). */
export function sealedKeyId(sealed: string): string {
  try {
    return parseSealed(sealed).kid;
  } catch {
    throw new Error('sealed credential is malformed');
  }
}

function parseSealed(sealed: string): {
  version: SealedFormat;
  kid: string;
  ephemeralPub: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
} {
  const parts = sealed.split('.');
  if (parts.length !== 6 || !VERSIONS.has(parts[0] ?? '')) throw new Error('malformed');
  const [version, kid = '', epk = '', iv = '', ciphertext = '', tag = ''] = parts;
  if (!KID_PATTERN.test(kid)) throw new Error('malformed');
  const decoded = [epk, iv, ciphertext, tag].map((p) => {
    if (!B64U_PATTERN.test(p)) throw new Error('malformed');
    return Buffer.from(p, 'base64url');
  });
  const [ephemeralPub, ivBytes, ct, tagBytes] = decoded as [Buffer, Buffer, Buffer, Buffer];
  if (
    ephemeralPub.length !== RAW_KEY_BYTES ||
    ivBytes.length !== IV_BYTES ||
    tagBytes.length !== TAG_BYTES
  ) {
    throw new Error('malformed');
  }
  return {
    version: version as SealedFormat,
    kid,
    ephemeralPub,
    iv: ivBytes,
    ciphertext: ct,
    tag: tagBytes,
  };
}

function deriveKey(shared: Buffer, ephemeralPub: Buffer, recipientPub: Buffer): Buffer {
  // A low-order peer key yields an all-zero secret: refuse it rather than derive from nothing.
  if (shared.every((b) => b === 0)) {
    throw new Error('degenerate shared secret');
  }
  const salt = Buffer.concat([ephemeralPub, recipientPub]);
  const key = Buffer.from(hkdfSync('sha256', shared, salt, INFO, 32));
  shared.fill(0);
  return key;
}

function rawPublicKey(key: KeyObject): Buffer {
  const { x } = key.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('not an X25519 public key');
  return Buffer.from(x, 'base64url');
}

function aad(kid: string, context: string): Buffer {
  return Buffer.from(`${kid}|${context}`, 'utf8');
}

function splitSpec(spec: string, what: string): { kid: string; der: Buffer } {
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(':');
  if (colon < 0) throw new Error(`credential ${what} must look like <kid>:<base64url DER>`);
  const kid = trimmed.slice(0, colon);
  const body = trimmed.slice(colon + 1);
  if (!KID_PATTERN.test(kid)) {
    throw new Error(`credential ${what} id must match [A-Za-z0-9_-]{1,32}`);
  }
  if (body === '' || !B64U_PATTERN.test(body)) {
    throw new Error(`credential ${what} "${kid}" must be base64url (no padding)`);
  }
  return { kid, der: Buffer.from(body, 'base64url') };
}

function defaultKid(): string {
  const d = new Date();
  const ymd = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  return `k${ymd}${randomBytes(2).toString('hex')}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
