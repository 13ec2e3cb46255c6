import { nestedDeeperThan } from './json-body.js';

describe('nestedDeeperThan', () => {
  const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

  it('counts objects and arrays, not scalars', () => {
    expect(nestedDeeperThan({ a: [1, { b: 'x' }] }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: [1, { b: { c: 1 } }] }, 3)).toBe(true);
    expect(nestedDeeperThan('text', 0)).toBe(false);
  });

  it('measures 100,000 levels without recursing', () => {
    expect(nestedDeeperThan(nested(100_000), 64)).toBe(true);
    expect(nestedDeeperThan(nested(64), 64)).toBe(false);
  });
});
