import { piiPatterns } from './pii-patterns.js';

describe('PII_CUSTOM_PATTERNS', () => {
  it('takes a JSON array of named patterns', () => {
    const parsed = piiPatterns.safeParse('[{"name":"badge","pattern":"EMP-[0-9]{6}"}]');
    expect(parsed.success && parsed.data).toEqual([{ name: 'badge', pattern: 'EMP-[0-9]{6}' }]);
  });

  it.each([
    ['not JSON', 'ID-[0-9]{4}', 'must be a JSON array of {name, pattern}'],
    ['a bare pattern list', '["EMP-[0-9]{6}"]', 'must be a JSON array of {name, pattern}'],
    ['a name that is no label', '[{"name":"9 lives","pattern":"x"}]', 'must be a JSON array'],
    [
      'an invalid pattern',
      '[{"name":"a","pattern":"("}]',
      'entry 1 is not a valid regular expression',
    ],
    [
      'a pattern that backtracks',
      '[{"name":"a","pattern":"(a+)+$"}]',
      'entry 1 backtracks too much',
    ],
  ])('refuses %s, without echoing it', (_what, raw, message) => {
    const parsed = piiPatterns.safeParse(raw);
    expect(parsed.success).toBe(false);
    const messages = parsed.error?.issues.map((i) => i.message).join('; ') ?? '';
    expect(messages).toContain(message);
    expect(messages).not.toContain(raw);
  });
});
