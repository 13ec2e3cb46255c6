import { createHash, randomBytes } from 'node:crypto';

/** What Redis holds for one console session (never the session id itself, only its hash). */
export type ConsoleSessionRecord = {
  /** Sent by the console page in `x-csrf-token` with every state-changing request. */
  csrf: string;
  /** Epoch ms of sign-in. */
  created_at: number;
  /** Epoch ms after which the session is over, however recently it was used. */
  expires_at: number;
};

/** A session as admission sees it: its record and a reference safe to write to the audit trail. */
export type ConsoleSession = ConsoleSessionRecord & { ref: string; storeKey: string };

/** 256 random bits, base64url: the cookie's value. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The session's Redis key: a hash of its id, so a Redis dump cannot be replayed as cookies. */
export function sessionStoreKey(prefix: string, sessionId: string): string {
  return `${prefix}:console-session:${sha256(sessionId)}`;
}

/**
 * What the audit trail names a session by: a prefix of the hash of its store key, which
 * identifies it across events but cannot be turned back into the cookie.
 */
export function sessionRef(storeKey: string): string {
  return sha256(storeKey).slice(0, 16);
}

/** A well-formed session id: exactly what newSessionId makes (anything else is not looked up). */
export function isSessionIdShaped(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** The record of a fresh session, its absolute end `maxMs` from now. */
export function newSessionRecord(now: number, maxMs: number): ConsoleSessionRecord {
  return { csrf: newCsrfToken(), created_at: now, expires_at: now + maxMs };
}

/** Parses what Redis held; anything unexpected is no session at all. */
export function parseSessionRecord(raw: string | null): ConsoleSessionRecord | null {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<ConsoleSessionRecord>;
    if (
      typeof value.csrf === 'string' &&
      typeof value.created_at === 'number' &&
      typeof value.expires_at === 'number'
    ) {
      return { csrf: value.csrf, created_at: value.created_at, expires_at: value.expires_at };
    }
  } catch {
    // fall through: a corrupt record is no session
  }
  return null;
}

/**
 * Milliseconds the store should keep the session after a use at `now`: the idle timeout, cut
 * short by the absolute end; 0 when the session is over.
 */
export function sessionTtlMs(record: ConsoleSessionRecord, now: number, idleMs: number): number {
  return Math.max(0, Math.min(idleMs, record.expires_at - now));
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
