import { PiiDetector } from './detector.js';
import { maskRequestBody } from './mask.js';
import { StreamRestorer, restoreJsonText } from './restore.js';

const mapping = {
  '<EMAIL_1>': 'a@example.com',
  '<TERM_1>': 'O"Brien \\ Co',
  '<EMPLOYEE_ID_12>': 'EMP-123456',
};

describe('restoreJsonText', () => {
  it('puts the originals back, escaped for a JSON string, and keeps unknown placeholders', () => {
    const text = JSON.stringify({ content: 'Hi <TERM_1>, mail <EMAIL_1> (not <EMAIL_2>) <x>' });
    const restored = restoreJsonText(text, mapping);
    expect(JSON.parse(restored)).toEqual({
      content: 'Hi O"Brien \\ Co, mail a@example.com (not <EMAIL_2>) <x>',
    });
  });

  it('round-trips a masked term that contains a quote', () => {
    const detector = new PiiDetector({ terms: ['say "hi"'] });
    const { body, mapping: m } = maskRequestBody(detector, 'openai', { prompt: 'they say "hi"' });
    expect(body.prompt).toBe('they <TERM_1>');
    const response = JSON.stringify({ text: `Echo: ${body.prompt}` });
    expect(JSON.parse(restoreJsonText(response, m))).toEqual({ text: 'Echo: they say "hi"' });
  });

  it('returns the text unchanged with an empty mapping', () => {
    expect(restoreJsonText('<EMAIL_1>', {})).toBe('<EMAIL_1>');
  });
});

describe('StreamRestorer', () => {
  const run = (chunks: string[]) => {
    const restorer = new StreamRestorer(mapping);
    const outputs = chunks.map((c) => restorer.feed(c));
    return { outputs, end: restorer.end() };
  };

  it('restores a placeholder split across two chunks', () => {
    const { outputs, end } = run(['data: {"t":"mail <EMA', 'IL_1> now"}\n\n']);
    expect(outputs).toEqual(['data: {"t":"mail ', 'a@example.com now"}\n\n']);
    expect(end).toBe('');
  });

  it('restores a placeholder split across three chunks', () => {
    const { outputs } = run(['x <', 'EMPLOYEE_I', 'D_12> y']);
    expect(outputs).toEqual(['x ', '', 'EMP-123456 y']);
  });

  it('passes a < that is not a placeholder on at the next chunk', () => {
    const { outputs } = run(['a <', 'b > c']);
    expect(outputs).toEqual(['a ', '<b > c']);
  });

  it('never delays a chunk with no < near its end', () => {
    const { outputs } = run(['<EMAIL_1> and <b', 'plain text', 'x < y = z']);
    expect(outputs).toEqual(['a@example.com and <b', 'plain text', 'x < y = z']);
  });

  it('holds no more than a placeholder could be', () => {
    const { outputs } = run([`<${'A'.repeat(40)}`, '>']);
    expect(outputs).toEqual([`<${'A'.repeat(40)}`, '>']);
  });

  it('escapes restored values for JSON', () => {
    const { outputs } = run(['{"t":"<TERM', '_1>"}']);
    expect(JSON.parse(outputs.join(''))).toEqual({ t: 'O"Brien \\ Co' });
  });

  it('flushes what it holds at the end', () => {
    const { outputs, end } = run(['tail <EMAIL_']);
    expect(outputs).toEqual(['tail ']);
    expect(end).toBe('<EMAIL_');
  });

  it('returns its input unchanged with an empty mapping', () => {
    const restorer = new StreamRestorer({});
    expect(restorer.feed('a <EMA')).toBe('a <EMA');
    expect(restorer.feed('IL_1>')).toBe('IL_1>');
    expect(restorer.end()).toBe('');
  });
});
