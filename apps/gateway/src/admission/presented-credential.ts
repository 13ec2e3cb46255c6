import type { IncomingHttpHeaders } from 'node:http';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';

/**
 * What a request presents: the credential ('' for one in a form nobody's key can take), and
 * whether it named two different ones (x-api-key and Authorization), which admission refuses.
 */
export type Presented = { credential: string; conflicting?: true } | undefined;

/** The strategy as used here: its declared types name Express's request, which we do not use. */
type HeaderStrategy = { authenticate(req: { headers: IncomingHttpHeaders }): void };
type Attempt = HeaderStrategy & { success(key: string): void; fail(): void; error(): void };

/**
 * passport-headerapikey reads the key from its header; its verify step only hands the key back,
 * since verifying is admission's job. Used without passport's per-request pipeline: an attempt
 * is the strategy with its three outcomes filled in, as passport itself builds one.
 */
function headerReader(header: string, prefix: string) {
  const strategy = new HeaderAPIKeyStrategy({ header, prefix }, false, (apiKey, verified) =>
    verified(null, apiKey),
  ) as unknown as HeaderStrategy;
  return (headers: IncomingHttpHeaders): string | undefined => {
    let found: string | undefined;
    const attempt = Object.create(strategy) as Attempt;
    attempt.success = (key) => (found = key);
    attempt.fail = () => undefined;
    attempt.error = () => undefined;
    attempt.authenticate({ headers });
    return found;
  };
}

const fromApiKeyHeader = headerReader('x-api-key', '');
const fromBearer = headerReader('authorization', 'Bearer ');

/**
 * The credential a request presents: `x-api-key: <key>` or `Authorization: Bearer <key>`, and
 * for the queue board (browsers) also the password of `Authorization: Basic`. An Authorization
 * header in any other form is a credential nobody can hold: a failed attempt, not an absence.
 */
export function presentedCredential(
  headers: IncomingHttpHeaders,
  options: { basic?: boolean } = {},
): Presented {
  const apiKey = fromApiKeyHeader(headers);
  const authorization = fromAuthorization(headers, options);
  if (apiKey && authorization !== undefined && authorization !== apiKey) {
    // Which one to believe is no choice to make silently: a wrong key beside a right one
    // would otherwise never count as a failed attempt.
    return { credential: '', conflicting: true };
  }
  if (apiKey) return { credential: apiKey };
  return authorization === undefined ? undefined : { credential: authorization };
}

function fromAuthorization(
  headers: IncomingHttpHeaders,
  options: { basic?: boolean },
): string | undefined {
  if (headers.authorization === undefined) return undefined;
  const bearer = fromBearer(headers);
  if (bearer !== undefined) return bearer;
  if (options.basic) {
    const basic = basicPassword(headers.authorization);
    if (basic !== undefined) return basic;
  }
  return '';
}

function basicPassword(authorization: string): string | undefined {
  const [scheme = '', value = ''] = authorization.trim().split(/\s+/, 2);
  if (scheme.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? '' : decoded.slice(colon + 1);
}

/** A client key's display prefix (`gk_<8 hex>`) is safe to record; nothing else of it is. */
export function credentialPrefix(presented: Presented): { key_prefix?: string } {
  const match = presented ? /^gk_[0-9a-f]{8}(?=_)/.exec(presented.credential) : null;
  return match ? { key_prefix: match[0] } : {};
}
