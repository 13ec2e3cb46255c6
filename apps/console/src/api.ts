/**
 * The console's only way to the gateway: the admin API, same origin, with the session cookie
 * (sent by the browser, never visible here) and the session's CSRF token on every write.
 */
const ADMIN_API = '/api/v1/admin';

/** An admin API refusal, with the message to show the operator. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export type Session = { csrf_token: string; expires_at: string; idle_timeout_seconds: number };

let csrfToken: string | null = null;
let onSessionEnded: () => void = () => undefined;

/** Called when the gateway says the session is over (401): the console shows the sign-in form. */
export function whenSessionEnds(handler: () => void): void {
  onSessionEnded = handler;
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `The gateway answered ${res.status} ${res.statusText}`.trim();
  try {
    const body = (await res.json()) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 429) message += ' (too many requests; wait a moment)';
  return new ApiError(message, res.status);
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Calls the admin API; resolves with its JSON (undefined for 204) or throws an ApiError. */
export async function call<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`${ADMIN_API}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('The gateway could not be reached; check that it is running.', 0);
  }
  if (res.status === 401) {
    csrfToken = null;
    onSessionEnded();
    throw new ApiError('Your session has ended; sign in again.', 401);
  }
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Signs in: the key goes to the gateway once, in this request, and is not kept anywhere. */
export async function signIn(adminKey: string): Promise<Session> {
  const res = await fetch(`${ADMIN_API}/session`, {
    method: 'POST',
    headers: { 'x-api-key': adminKey },
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (res.status === 401) throw new ApiError('That is not the admin key.', 401);
  if (!res.ok) throw await errorOf(res);
  const session = (await res.json()) as Session;
  csrfToken = session.csrf_token;
  return session;
}

/** The current session after a reload, or null when there is none. */
export async function currentSession(): Promise<Session | null> {
  const res = await fetch(`${ADMIN_API}/session`, {
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (res.status === 401 || res.status === 404) return null;
  if (!res.ok) throw await errorOf(res);
  const session = (await res.json()) as Session;
  csrfToken = session.csrf_token;
  return session;
}

export async function signOut(): Promise<void> {
  try {
    await call<void>('DELETE', '/session');
  } finally {
    csrfToken = null;
  }
}

/** `?a=1&b=2` from the values that are set. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(name, String(value));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

export type Page<T> = { data: T[]; next_cursor: string | null };
