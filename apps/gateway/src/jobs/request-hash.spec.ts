import { canonicalJson, jobRequestHash } from './request-hash.js';

describe('jobRequestHash', () => {
  it('ignores key order at every depth but not array order or values', () => {
    const a = jobRequestHash('messages', {
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
    });
    const b = jobRequestHash('messages', {
      messages: [{ content: 'x', role: 'user' }],
      model: 'm',
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(
      jobRequestHash('chat.completions', {
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).not.toBe(a);
    expect(
      jobRequestHash('messages', { model: 'm', messages: [{ role: 'user', content: 'y' }] }),
    ).not.toBe(a);
  });

  it('writes canonical JSON', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: 'x' })).toBe(
      '{"a":"x","b":[2,{"c":null,"d":1}]}',
    );
  });
});
