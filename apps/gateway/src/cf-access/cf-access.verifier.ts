import { CF_ACCESS_KEYS_REFRESH_INTERVAL_MS } from '@gatehouse/queue';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { refreshingOnUnknownKid } from './unknown-kid-refresh.js';

export type CfAccessSettings = {
  /** `myteam.cloudflareaccess.com`: the issuer is `https://<teamDomain>`. */
  teamDomain: string;
  /** Where the signing keys are; `https://<teamDomain>/cdn-cgi/access/certs` unless overridden. */
  jwksUrl?: string;
};

export type CfAccessVerdict =
  | { ok: true; claims: JWTPayload }
  /** The token is missing, malformed, forged, expired or meant for someone else. */
  | { ok: false; reason: 'rejected'; code: string; claim?: string }
  /** The signing keys could not be fetched: nothing can be verified right now. */
  | { ok: false; reason: 'unavailable'; code: string };

/** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
export const CF_ACCESS_CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Verifies Cloudflare Access application tokens (RS256 JWTs). The key set is fetched on first
 * use, kept for ten minutes, and fetched again at once when a token names a key id it does not
 * hold (Cloudflare rotated its keys), at most once per CF_ACCESS_KEYS_REFRESH_INTERVAL_MS so
 * forged key ids cannot make the gateway hammer the endpoint.
 */
export function createCfAccessVerifier(settings: CfAccessSettings, keys?: JWTVerifyGetKey) {
  const issuer = `https://${settings.teamDomain}`;
  // `keys` (relayed over Redis) replaces fetching when the gateway has no route out.
  const jwks = keys ?? fetchedKeys(new URL(settings.jwksUrl ?? `${issuer}/cdn-cgi/access/certs`));

  /** `audience`: the AUD tags of the applications allowed here; `aud` must contain one. */
  return async function verify(
    token: string,
    audience: readonly string[],
  ): Promise<CfAccessVerdict> {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: ['RS256'],
        issuer,
        audience: [...audience],
        clockTolerance: CF_ACCESS_CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'iat'],
      });
      return { ok: true, claims: payload };
    } catch (err) {
      return verdictFor(err);
    }
  };
}

function verdictFor(err: unknown): CfAccessVerdict {
  if (err instanceof errors.JWTClaimValidationFailed) {
    // JWTExpired is a subclass: the claim is `exp`.
    return { ok: false, reason: 'rejected', code: err.code, claim: err.claim };
  }
  if (
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    !(err instanceof errors.JOSEError) ||
    err.code === errors.JOSEError.code
  ) {
    // Network failures, a non-200 or a body that is not a key set: an outage, not a bad token.
    const code = err instanceof errors.JOSEError ? err.code : 'ERR_JWKS_FETCH_FAILED';
    return { ok: false, reason: 'unavailable', code };
  }
  return { ok: false, reason: 'rejected', code: err.code };
}

/** The team's key set fetched by the gateway itself (CF_ACCESS_JWKS_SOURCE=direct). */
function fetchedKeys(url: URL): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, {
    cacheMaxAge: 10 * 60_000,
    // jose's own refetch on an unknown key id is off: its cooldown counts from the last fetch
    // that succeeded, so while the endpoint fails every such token would fetch again.
    cooldownDuration: Infinity,
    timeoutDuration: 5_000,
  });
  return refreshingOnUnknownKid(remote, () => remote.reload(), CF_ACCESS_KEYS_REFRESH_INTERVAL_MS);
}
