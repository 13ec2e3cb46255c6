import type { AppConfig } from '@gatehouse/config';
import { KeyCache } from './key-cache.js';
import type { ClientKey } from './principal.js';

function clientKey(id: string): ClientKey {
  return {
    id,
    name: null,
    prefix: 'gk_00000000',
    allowedModels: [],
    requestsPerMinute: null,
    budgets: {
      tokens_per_minute: null,
      tokens_per_day: null,
      requests_per_day: null,
      cost_per_day: null,
      cost_per_month: null,
    },
    piiPolicy: null,
    maxConcurrent: null,
    allowedIps: [],
    allowsAddress: () => true,
    expiresAt: null,
    revokedAt: null,
  };
}

function cache(ttlMs = 10_000): KeyCache {
  return new KeyCache({ AUTH_CACHE_TTL_MS: ttlMs } as AppConfig);
}

/** The cache reads Date.now(); the tests move it by hand. */
const realNow = Date.now;
let clock = 0;
const advance = (ms: number) => void (clock += ms);

describe('KeyCache', () => {
  beforeEach(() => {
    clock = Date.parse('2026-12-01T00:00:00Z');
    Date.now = () => clock;
  });
  afterEach(() => {
    Date.now = realNow;
  });

  it('keeps a key read at the current generation until AUTH_CACHE_TTL_MS has passed', () => {
    const keys = cache(10_000);
    keys.set('h1', clientKey('k1'), keys.generation);
    advance(9_999);
    expect(keys.get('h1')?.id).toBe('k1');
    advance(1);
    expect(keys.get('h1')).toBeUndefined();
  });

  it('does not cache a key read before an invalidation of any key', () => {
    const keys = cache();
    const readAt = keys.generation;
    keys.invalidateKey('another key'); // the row read may predate the change announced
    keys.set('h1', clientKey('k1'), readAt);
    expect(keys.get('h1')).toBeUndefined();
    keys.set('h1', clientKey('k1'), keys.generation);
    expect(keys.get('h1')?.id).toBe('k1');
  });

  it('does not cache a key read before the cache was cleared', () => {
    const keys = cache();
    const readAt = keys.generation;
    keys.clear();
    keys.set('h1', clientKey('k1'), readAt);
    expect(keys.get('h1')).toBeUndefined();
  });

  it('drops every hash of an invalidated key (current and previous secret) and no other', () => {
    const keys = cache();
    const at = keys.generation;
    keys.set('current', clientKey('k1'), at);
    keys.set('previous', clientKey('k1'), at);
    keys.set('other', clientKey('k2'), at);
    keys.invalidateKey('k1');
    expect(keys.get('current')).toBeUndefined();
    expect(keys.get('previous')).toBeUndefined();
    expect(keys.get('other')?.id).toBe('k2');
  });

  it('expires a rotated-out secret at the end of its grace period when that comes first', () => {
    const keys = cache(10_000);
    keys.set('previous', clientKey('k1'), keys.generation, new Date(Date.now() + 3_000));
    advance(2_999);
    expect(keys.get('previous')?.id).toBe('k1');
    advance(1);
    expect(keys.get('previous')).toBeUndefined();
  });

  it('caches nothing with AUTH_CACHE_TTL_MS=0', () => {
    const keys = cache(0);
    keys.set('h1', clientKey('k1'), keys.generation);
    expect(keys.get('h1')).toBeUndefined();
  });

  it('drops the oldest entry beyond 10,000 keys', () => {
    const keys = cache();
    const at = keys.generation;
    for (let i = 0; i <= 10_000; i++) keys.set(`h${i}`, clientKey(`k${i}`), at);
    expect(keys.get('h0')).toBeUndefined();
    expect(keys.get('h1')?.id).toBe('k1');
    expect(keys.get('h10000')?.id).toBe('k10000');
  });
});
