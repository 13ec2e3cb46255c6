import {
  isSessionIdShaped,
  newSessionId,
  newSessionRecord,
  parseSessionRecord,
  sessionRef,
  sessionStoreKey,
  sessionTtlMs,
} from './console-session.js';

const MINUTE = 60_000;

describe('console sessions', () => {
  it('makes 256-bit ids that are stored only as a hash', () => {
    const id = newSessionId();
    expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    expect(isSessionIdShaped(id)).toBe(true);
    expect(newSessionId()).not.toBe(id);
    const key = sessionStoreKey('gh', id);
    expect(key).toMatch(/^gh:console-session:[0-9a-f]{64}$/);
    expect(key).not.toContain(id);
    expect(sessionRef(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(key).not.toContain(sessionRef(key));
  });

  it('refuses ids of any other shape', () => {
    expect(isSessionIdShaped('')).toBe(false);
    expect(isSessionIdShaped('a'.repeat(42))).toBe(false);
    expect(isSessionIdShaped(`${'a'.repeat(42)}=`)).toBe(false);
  });

  it('keeps a session for the idle timeout, never past its absolute end', () => {
    const record = newSessionRecord(0, 8 * 60 * MINUTE);
    expect(sessionTtlMs(record, 0, 15 * MINUTE)).toBe(15 * MINUTE);
    expect(sessionTtlMs(record, 8 * 60 * MINUTE - 5 * MINUTE, 15 * MINUTE)).toBe(5 * MINUTE);
    expect(sessionTtlMs(record, 8 * 60 * MINUTE, 15 * MINUTE)).toBe(0);
    expect(sessionTtlMs(record, 9 * 60 * MINUTE, 15 * MINUTE)).toBe(0);
  });

  it('reads back what it stored and nothing malformed', () => {
    const record = newSessionRecord(1_000, MINUTE);
    expect(parseSessionRecord(JSON.stringify(record))).toEqual(record);
    expect(parseSessionRecord(null)).toBeNull();
    expect(parseSessionRecord('{')).toBeNull();
    expect(parseSessionRecord('{"csrf":1,"created_at":0,"expires_at":0}')).toBeNull();
  });
});
