import {
  type CryptoKey,
  errors,
  type FlattenedJWSInput,
  type JWTHeaderParameters,
  type JWTVerifyGetKey,
} from 'jose';
import { refreshingOnUnknownKid } from './unknown-kid-refresh.js';

const INTERVAL = 5_000;
const token = { payload: '', signature: '' } as FlattenedJWSInput;
const header = (kid: string): JWTHeaderParameters => ({ alg: 'RS256', kid });
/** Stands in for a key: the lookups here only say which kid they found. */
const keyFor = (kid: string) => ({ kid }) as unknown as CryptoKey;

/** Keys held are `held`; a refresh adds `next` (or fails with `failWith`). */
function setup() {
  let clock = 0;
  const state = {
    held: new Set(['a']),
    next: [] as string[],
    failWith: undefined as Error | undefined,
    refreshes: 0,
  };
  const lookup: JWTVerifyGetKey = (h) =>
    h.kid && state.held.has(h.kid)
      ? Promise.resolve(keyFor(h.kid))
      : Promise.reject(new errors.JWKSNoMatchingKey());
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const refresh = async () => {
    state.refreshes += 1;
    await gate;
    if (state.failWith) throw state.failWith;
    for (const kid of state.next) state.held.add(kid);
  };
  const getKey = refreshingOnUnknownKid(lookup, refresh, INTERVAL, () => clock);
  return {
    state,
    getKey: async (kid: string) => getKey(header(kid), token),
    advance: (ms: number) => (clock += ms),
    /** Refreshes from now on wait until the returned function is called. */
    hold: () => {
      gate = new Promise<void>((r) => (release = r));
      return () => release();
    },
  };
}

describe('refreshingOnUnknownKid', () => {
  it('answers a known key id without refreshing', async () => {
    const { state, getKey } = setup();
    await expect(getKey('a')).resolves.toEqual({ kid: 'a' });
    expect(state.refreshes).toBe(0);
  });

  it('refreshes once for a new key id and finds it (a rotation)', async () => {
    const { state, getKey } = setup();
    state.next = ['b'];
    await expect(getKey('b')).resolves.toEqual({ kid: 'b' });
    expect(state.refreshes).toBe(1);
  });

  it('refreshes at most once per interval however many unknown key ids arrive', async () => {
    const { state, getKey, advance } = setup();
    for (const kid of ['x1', 'x2', 'x3']) {
      await expect(getKey(kid)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
      advance(1_000);
    }
    expect(state.refreshes).toBe(1);
    advance(INTERVAL);
    await expect(getKey('x4')).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(state.refreshes).toBe(2);
  });

  it('lets concurrent requests share the refresh that is running', async () => {
    const { state, getKey, hold } = setup();
    const release = hold();
    state.next = ['b'];
    const pending = [getKey('b'), getKey('b'), getKey('y')];
    release();
    const [b1, b2, y] = await Promise.allSettled(pending);
    expect([b1, b2]).toEqual([
      { status: 'fulfilled', value: { kid: 'b' } },
      { status: 'fulfilled', value: { kid: 'b' } },
    ]);
    expect(y?.status).toBe('rejected');
    expect(state.refreshes).toBe(1);
  });

  it('joins a refresh still running past the interval instead of starting another', async () => {
    const { state, getKey, hold, advance } = setup();
    const release = hold();
    const first = getKey('x1');
    advance(INTERVAL * 2);
    const second = getKey('x2');
    release();
    await Promise.allSettled([first, second]);
    expect(state.refreshes).toBe(1);
  });

  it('gives the failure of the latest refresh to every unknown key id until the interval ends', async () => {
    const { state, getKey, advance } = setup();
    const outage = new errors.JOSEError('Cloudflare is down');
    state.failWith = outage;
    await expect(getKey('x1')).rejects.toBe(outage);
    advance(1_000);
    await expect(getKey('x2')).rejects.toBe(outage);
    // Known keys are not affected.
    await expect(getKey('a')).resolves.toEqual({ kid: 'a' });
    expect(state.refreshes).toBe(1);

    state.failWith = undefined;
    state.next = ['b'];
    advance(INTERVAL);
    await expect(getKey('b')).resolves.toEqual({ kid: 'b' });
    expect(state.refreshes).toBe(2);
  });
});
