export type Column<T> = { header: string; value: (row: T) => unknown };

// C0 and C1 control characters (ESC among them): a name or audit field holding terminal escape
// sequences must not be able to rewrite what the operator sees.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** One value as a table cell: `-` for nothing, lists comma-separated, control characters shown as `?`. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(cell).join(',');
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
        ? String(value)
        : JSON.stringify(value);
  return text.replace(CONTROL_CHARACTERS, '?');
}

/** Rows under a header, columns padded to their widest cell, two spaces apart. */
export function formatTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = [
    columns.map((c) => c.header),
    ...rows.map((r) => columns.map((c) => cell(c.value(r)))),
  ];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]?.length ?? 0)));
  return cells
    .map((line) =>
      line
        .map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One record as `label  value` lines, labels aligned. */
export function formatFields(fields: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${cell(value)}`).join('\n');
}

type Sink = { write(text: string): unknown };

/**
 * Where a command's result goes: stdout, as a human-readable text or, with `--json`, as JSON a
 * script can parse. Notes for the person at the terminal go to stderr, so they never mix with
 * what a script reads.
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: Sink = process.stdout,
    private readonly stderr: Sink = process.stderr,
  ) {}

  /** The command's result: `value` as JSON, or what `human` renders of it. */
  result<T>(value: T, human: (value: T) => string): void {
    const text = this.json ? JSON.stringify(value, null, 2) : human(value);
    if (text.length > 0) this.stdout.write(`${text}\n`);
  }

  /** One record of a stream (`audit tail`): with `--json` one compact JSON object per line. */
  record<T>(value: T, human: (value: T) => string): void {
    this.stdout.write(`${this.json ? JSON.stringify(value) : human(value)}\n`);
  }

  /** A line for a person (stderr): hints, what happens next. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }
}
