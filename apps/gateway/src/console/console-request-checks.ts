import { sameInConstantTime } from '@gatehouse/crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Cookie that carries the console session id, sent only to the admin API (its Path). */
export const CONSOLE_SESSION_COOKIE = 'gatehouse_console';
/** Path the cookie is scoped to: the console calls the admin API and nothing else. */
export const CONSOLE_COOKIE_PATH = '/api/v1/admin';
/** Header the console page sends its session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}

/** The session id in the request's cookies, if it carries one (last one wins, as browsers send). */
export function sessionCookieOf(headers: IncomingHttpHeaders): string | undefined {
  const cookie = headers.cookie;
  if (typeof cookie !== 'string') return undefined;
  let found: string | undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === CONSOLE_SESSION_COOKIE) {
      found = part.slice(eq + 1).trim();
    }
  }
  return found;
}

/**
 * Whether a browser made this request for this origin: `Sec-Fetch-Site: same-origin`, or, from a
 * browser too old to send it, an `Origin` naming this host. A request with neither is refused:
 * a session is a browser's, and every browser sends one of them on a state-changing request.
 */
export function isSameOriginRequest(headers: IncomingHttpHeaders): boolean {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = headers.origin;
  if (typeof origin !== 'string' || typeof headers.host !== 'string') return false;
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}

/** Whether the request's CSRF header holds the session's token (compared in constant time). */
export function carriesCsrfToken(headers: IncomingHttpHeaders, token: string): boolean {
  const sent = headers[CSRF_HEADER];
  if (typeof sent !== 'string') return false;
  return sameInConstantTime(sent, token);
}

/** The Set-Cookie value for a session (or, with `null`, the one that clears it). */
export function sessionCookie(
  sessionId: string | null,
  options: { secure: boolean; maxAgeSeconds: number },
): string {
  return [
    `${CONSOLE_SESSION_COOKIE}=${sessionId ?? ''}`,
    `Path=${CONSOLE_COOKIE_PATH}`,
    `Max-Age=${sessionId === null ? 0 : options.maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
