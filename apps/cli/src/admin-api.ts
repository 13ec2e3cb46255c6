import type { CliConfig } from './config.js';
import { CliError, ExitCode } from './exit-codes.js';

export type Query = Record<string, string | number | undefined>;

type RequestOptions = { query?: Query; body?: unknown; timeoutMs?: number };

const DEFAULT_TIMEOUT_MS = 30_000;

/** The gateway's error shape: `{ "error": { "type", "message", "request_id" } }`. */
type ErrorBody = { error?: { type?: unknown; message?: unknown; request_id?: unknown } };

/**
 * A small client for the admin API over Node's fetch. Every failure becomes a CliError whose
 * exit code says what kind of failure it was; no message ever includes the admin key.
 */
export class AdminApi {
  constructor(private readonly config: CliConfig) {}

  get<T>(path: string, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T>(
    path: string,
    body: unknown = {},
    options: Omit<RequestOptions, 'body'> = {},
  ): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  async delete(path: string): Promise<void> {
    await this.request<unknown>('DELETE', path, {});
  }

  /** A route on the gateway, under whatever path prefix the configured URL has. */
  urlFor(path: string, query: Query = {}): URL {
    const base = this.config.url;
    const url = new URL(base.pathname.replace(/\/+$/, '') + path, base);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url;
  }

  private async request<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const url = this.urlFor(path, options.query);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-api-key': this.config.adminKey,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        redirect: 'error', // a redirect could carry the admin key to another host
        signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (err) {
      throw connectionError(url, err);
    }
    const text = await res.text();
    if (!res.ok) throw errorFromResponse(res.status, text, res.headers.get('retry-after'));
    if (text.length === 0) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `The gateway answered ${res.status} with a body that is not JSON`,
        ExitCode.failure,
      );
    }
  }
}

/** Why the request never got an answer: refused, unresolvable, timed out. */
export function connectionError(url: URL, err: unknown): CliError {
  const where = `${url.protocol}//${url.host}`;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new CliError(`The gateway at ${where} did not answer in time`, ExitCode.unavailable);
  }
  const cause =
    err instanceof Error ? (err.cause as { code?: unknown; message?: unknown }) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused; is it running?'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'host name not found'
        : (code ??
          (typeof cause?.message === 'string' ? cause.message : undefined) ??
          (err instanceof Error ? err.message : 'unknown error'));
  return new CliError(`Cannot reach the gateway at ${where}: ${reason}`, ExitCode.unavailable);
}

/** Maps an error response to a message for a person and an exit code for a script. */
export function errorFromResponse(
  status: number,
  text: string,
  retryAfter: string | null,
): CliError {
  const { message, requestId } = parseErrorBody(text);
  const detail = message ? `: ${message}` : '';
  const ref = requestId ? ` (request id ${requestId})` : '';
  switch (status) {
    case 400:
    case 422:
      return new CliError(`Invalid request (${status})${detail}${ref}`, ExitCode.usage);
    case 401:
      return new CliError(
        `Authentication failed (401)${detail}. The admin key was not accepted: ` +
          `check GATEHOUSE_ADMIN_KEY or run \`gatehouse login\`${ref}`,
        ExitCode.auth,
      );
    case 403:
      return new CliError(
        `Permission denied (403)${detail}. The admin API needs the admin key, ` +
          `not a client key${ref}`,
        ExitCode.auth,
      );
    case 404:
      return new CliError(`Not found (404)${detail}${ref}`, ExitCode.notFound);
    case 429: {
      const wait = retryAfter && /^\d+$/.test(retryAfter) ? ` Retry after ${retryAfter} s.` : '';
      return new CliError(`Rate limited (429)${detail}.${wait}${ref}`, ExitCode.rateLimited);
    }
    case 502:
    case 503:
    case 504:
      return new CliError(
        `The gateway is unavailable (${status})${detail}${ref}`,
        ExitCode.unavailable,
      );
    default:
      return new CliError(`The gateway answered ${status}${detail}${ref}`, ExitCode.failure);
  }
}

function parseErrorBody(text: string): { message?: string; requestId?: string } {
  try {
    const { error } = JSON.parse(text) as ErrorBody;
    return {
      message: typeof error?.message === 'string' ? error.message : undefined,
      requestId: typeof error?.request_id === 'string' ? error.request_id : undefined,
    };
  } catch {
    return {};
  }
}
