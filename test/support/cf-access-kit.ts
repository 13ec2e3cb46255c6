import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** Cloudflare Access played on loopback: signing keys made here, a JWKS server, tokens. */

export type SigningKey = { kid: string; privateKey: CryptoKey; jwk: JWK };

export async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

/** The team's `/cdn-cgi/access/certs`: serves whatever keys it is given and counts fetches. */
export class JwksServer {
  keys: JWK[] = [];
  failing = false;
  fetches = 0;
  lastFetchAt = 0;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url !== '/cdn-cgi/access/certs') {
        res.writeHead(404).end();
        return;
      }
      this.fetches += 1;
      this.lastFetchAt = Date.now();
      if (this.failing) {
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/cdn-cgi/access/certs`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

export type TokenOptions = {
  aud?: string | string[];
  iss?: string;
  expiresIn?: number;
  issuedAgo?: number;
};

export async function signAccessToken(key: SigningKey, opts: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = now - (opts.issuedAgo ?? 0);
  return new SignJWT({
    email: 'ops@example.test',
    type: 'app',
    identity_nonce: randomBytes(8).toString('hex'),
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setIssuer(opts.iss ?? 'https://unset.invalid')
    .setAudience(opts.aud ?? [])
    .setSubject(randomBytes(8).toString('hex'))
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + (opts.expiresIn ?? 3600))
    .sign(key.privateKey);
}
