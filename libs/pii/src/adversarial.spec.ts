import { PiiDetector } from './detector.js';
import { maskRequestBody } from './mask.js';
import { StreamRestorer } from './restore.js';

/**
 * The detector and the restorer run on attacker-chosen text, so they must be linear in its
 * size. A MiB of each worst case takes tens of milliseconds; a quadratic scan takes minutes.
 * The bounds sit far from both, so a loaded machine cannot fail them and a quadratic scan
 * cannot pass them (speed itself is the bench's to measure).
 */
const LINEAR_BOUND_MS = 10_000;
describe('PII on adversarial input', () => {
  const MiB = 1024 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(MiB / unit.length)).slice(0, MiB);
  const detector = new PiiDetector({
    customPatterns: [{ name: 'ticket', pattern: 'T-\\d{6}' }],
    terms: Array.from({ length: 200 }, (_, i) => `client ${i}`),
  });
  const restorer = () =>
    new StreamRestorer({ '<EMAIL_1>': 'a@example.com', '<EMPLOYEE_ID_100>': 'x' });

  it.each([
    ['digits', fill('1')],
    ['at signs', fill('@')],
    ['a@a. repeated', fill('a@a.')],
    ['one long word', fill('a')],
    ['near-IBANs', fill('DE00123456789')],
    ['spaced near-IBANs', fill('DE00 1234 5678 9012 ')],
    ['spaced digits', fill('1 ')],
    ['dashed digits', fill('12-')],
    ['dotted digits', fill('1.2.')],
    ['plus signs and digits', fill('+1')],
    ['colons', fill(':')],
    ['hex and colons', fill('ab:')],
    ['less-than signs', fill('<')],
    ['one phone number repeated', fill('415-555-2671 ')],
    ['card-like groups', fill('4111 ')],
    ['SSN-like groups', fill('123-45-')],
    ['client words', fill('client ')],
  ])('finds entities in a MiB of %s in bounded time', (_name, input) => {
    const started = performance.now();
    detector.find(input);
    expect(performance.now() - started).toBeLessThan(LINEAR_BOUND_MS);
  });

  it('bounds phone validation on a MiB of distinct number-shaped digits', () => {
    let input = '';
    for (let i = 0; input.length < MiB; i++) input += `+1 ${String(2000000000 + i * 7919)} `;
    const started = performance.now();
    detector.find(input);
    expect(performance.now() - started).toBeLessThan(LINEAR_BOUND_MS);
  });

  it.each([
    ['less-than signs', fill('<')],
    ['placeholder starts', fill('<EMAIL_')],
    ['long capitals', `<${'A'.repeat(MiB)}`],
  ])('restores a MiB of %s in bounded time, in one chunk and in small ones', (_name, input) => {
    let started = performance.now();
    const r = restorer();
    expect(r.feed(input) + r.end()).toBe(input);
    expect(performance.now() - started).toBeLessThan(LINEAR_BOUND_MS);

    started = performance.now();
    const small = restorer();
    let out = '';
    for (let i = 0; i < input.length; i += 7) out += small.feed(input.slice(i, i + 7));
    expect(out + small.end()).toBe(input);
    expect(performance.now() - started).toBeLessThan(LINEAR_BOUND_MS);
  });
});

describe('a realistic prompt', () => {
  it('masks each of ten entities in a 4 KB prompt', () => {
    const detector = new PiiDetector({
      customPatterns: [{ name: 'employee-id', pattern: 'EMP-\\d{6}' }],
      terms: ['Project Falcon'],
    });
    const entities = [
      'john.doe@example.com',
      '+1 (415) 555-2671',
      '4111 1111 1111 1111',
      'DE89 3704 0044 0532 0130 00',
      '192.168.1.10',
      '123-45-6789',
      `sk-${'a'.repeat(24)}`,
      'EMP-123456',
      'Project Falcon',
      '2001:db8::1',
    ];
    const filler = 'The quick brown fox jumps over the lazy dog, version 1.2.3 on 2024-01-15. ';
    let prompt = '';
    for (const entity of entities) prompt += `${filler.repeat(5)}${entity} `;
    prompt = (prompt + filler.repeat(60)).slice(0, 4096);
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: prompt }] };

    // Its cost is measured by the bench (`BENCH_CASES=pii`), not asserted here.
    const masked = maskRequestBody(detector, 'openai', body);
    expect(Object.keys(masked.mapping)).toHaveLength(10);
  });
});
