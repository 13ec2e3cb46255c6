import type { ProxyEndpoint } from '@gatehouse/queue';

export type ProviderName = 'openai' | 'anthropic';

/**
 * Each client-facing endpoint maps to one provider wire format. OpenAI-compatible base URLs
 * end in /v1 (https://api.openai.com/v1, https://api.poe.com/v1); Anthropic's is the bare host
 * (https://api.anthropic.com).
 */
export const ENDPOINTS: Record<ProxyEndpoint, { provider: ProviderName; upstreamPath: string }> = {
  'chat.completions': { provider: 'openai', upstreamPath: '/chat/completions' },
  messages: { provider: 'anthropic', upstreamPath: '/v1/messages' },
};

/**
 * Joins an account's base URL and the endpoint's upstream path without double slashes. A base
 * URL that already ends in /v1 is not given a second /v1 (https://api.anthropic.com/v1 works).
 */
export function upstreamUrl(baseUrl: string, endpoint: ProxyEndpoint): string {
  const base = baseUrl.trim().replace(/\/+$/, '');
  let path = ENDPOINTS[endpoint].upstreamPath;
  if (path.startsWith('/v1/') && /\/v1$/i.test(base)) path = path.slice('/v1'.length);
  return `${base}${path}`;
}

/** The upstream auth header set from the decrypted account credential. */
export function upstreamAuthHeaders(
  provider: ProviderName,
  credential: string,
): Record<string, string> {
  return provider === 'anthropic'
    ? { 'x-api-key': credential }
    : { authorization: `Bearer ${credential}` };
}

/** Client request headers forwarded upstream (lowercase). Nothing else is, credentials never. */
export const FORWARDED_CLIENT_HEADERS: Record<ProviderName, readonly string[]> = {
  openai: ['openai-beta'],
  anthropic: ['anthropic-version', 'anthropic-beta'],
};

/** Sent upstream when the client names no anthropic-version. */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

const MAX_FORWARDED_HEADER_LENGTH = 200;
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * The allowlisted headers among the client's, as trimmed strings. Header names are matched
 * case-insensitively; repeated headers are joined with ", "; empty values, values over 200
 * characters and values with CR, LF or other control characters are dropped.
 */
export function pickForwardedHeaders(
  provider: ProviderName,
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const allowed = FORWARDED_CLIENT_HEADERS[provider];
  const picked: Record<string, string> = {};
  for (const [rawName, rawValue] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (!allowed.includes(name) || rawValue === undefined) continue;
    const value = (Array.isArray(rawValue) ? rawValue.join(', ') : rawValue).trim();
    if (value === '' || value.length > MAX_FORWARDED_HEADER_LENGTH) continue;
    if (CONTROL_CHARACTERS.test(value)) continue;
    picked[name] = value;
  }
  return picked;
}
