import { errors, type JWTVerifyGetKey } from 'jose';

/**
 * Wraps a lookup in the signing keys held with one refresh on an unknown key id (Cloudflare
 * rotated its keys), limited in time: a token's `kid` is chosen by whoever sends it, so a stream
 * of made-up ones must not each cost a refresh (a fetch from Cloudflare, or a request to the
 * relay and a wait for its answer). A refresh is started at most once per `intervalMs`; a
 * request in the meantime shares the latest one's outcome: it waits for it if still running, and
 * gets its error if it failed (keys unavailable, not a bad token), and is then answered from the
 * keys held.
 */
export function refreshingOnUnknownKid(
  lookup: JWTVerifyGetKey,
  refresh: (kid: string | undefined) => Promise<void>,
  intervalMs: number,
  now: () => number = Date.now,
): JWTVerifyGetKey {
  let latest: { startedAt: number; settled: boolean; done: Promise<void> } | undefined;

  const refreshOnce = (kid: string | undefined): Promise<void> => {
    if (latest && (!latest.settled || now() - latest.startedAt < intervalMs)) return latest.done;
    const current = { startedAt: now(), settled: false, done: refresh(kid) };
    const settle = () => void (current.settled = true);
    current.done.then(settle, settle);
    latest = current;
    return current.done;
  };

  return async (header, token) => {
    try {
      return await lookup(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      await refreshOnce(header.kid);
      return lookup(header, token);
    }
  };
}
