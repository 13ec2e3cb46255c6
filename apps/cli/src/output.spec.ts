import { cell, formatFields, formatTable, Output } from './output.js';

describe('cell', () => {
  it('shows nothing as a dash, lists comma-separated, objects as JSON', () => {
    expect(cell(null)).toBe('-');
    expect(cell(undefined)).toBe('-');
    expect(cell('')).toBe('-');
    expect(cell([])).toBe('-');
    expect(cell(['a', 'b'])).toBe('a,b');
    expect(cell(0)).toBe('0');
    expect(cell(false)).toBe('false');
    expect(cell({ n: 1 })).toBe('{"n":1}');
  });

  it('replaces control characters so a stored value cannot drive the terminal', () => {
    expect(cell('evil\u001b[2Jname\r\n\u009b')).toBe('evil?[2Jname???');
  });
});

describe('formatTable', () => {
  type Row = { id: string; n: number | null };
  const columns = [
    { header: 'ID', value: (r: Row) => r.id },
    { header: 'COUNT', value: (r: Row) => r.n },
  ];

  it('pads each column to its widest cell and trims line ends', () => {
    expect(
      formatTable(columns, [
        { id: 'a', n: 1 },
        { id: 'longer-id', n: null },
      ]),
    ).toBe(['ID         COUNT', 'a          1', 'longer-id  -'].join('\n'));
  });

  it('prints only the header for no rows', () => {
    expect(formatTable(columns, [])).toBe('ID  COUNT');
  });
});

describe('formatFields', () => {
  it('aligns values after the longest label', () => {
    expect(
      formatFields([
        ['id', 'k1'],
        ['allowed models', ['a', 'b']],
      ]),
    ).toBe('id              k1\nallowed models  a,b');
  });
});

describe('Output', () => {
  function capture(json: boolean) {
    const out: string[] = [];
    const err: string[] = [];
    const output = new Output(
      json,
      { write: (t: string) => out.push(t) },
      { write: (t: string) => err.push(t) },
    );
    return { output, out, err };
  }

  it('prints the human rendering, or JSON a script can parse, on stdout; notes on stderr', () => {
    const human = capture(false);
    human.output.result({ a: 1 }, (v) => `a is ${v.a}`);
    human.output.note('hint');
    expect(human.out).toEqual(['a is 1\n']);
    expect(human.err).toEqual(['hint\n']);

    const json = capture(true);
    json.output.result({ a: 1 }, () => 'ignored');
    json.output.record({ b: 2 }, () => 'ignored');
    expect(JSON.parse(json.out[0] ?? '')).toEqual({ a: 1 });
    expect(json.out[1]).toBe('{"b":2}\n');
  });
});
