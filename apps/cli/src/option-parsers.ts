import { InvalidArgumentError } from 'commander';

/** Argument parsers for commander: a bad value is a usage error (exit 2) before any request. */

export function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('Not a whole number.');
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`Must be between ${min} and ${max}.`);
    return n;
  };
}

/** Comma-separated and repeatable: `--models a,b --models c` → `[a, b, c]`. */
export function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0),
  ];
}

export function oneOf<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`Must be one of: ${allowed.join(', ')}.`);
    }
    return value as T;
  };
}

export function day(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new InvalidArgumentError('Must be a day, YYYY-MM-DD.');
  return value;
}

export function timestamp(value: string): string {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(
      'Must be an ISO 8601 date or time, e.g. 2027-01-31 or 2027-01-31T12:00:00Z.',
    );
  }
  return date.toISOString();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An id that goes into a URL path. Checked here, not only by the API: `..` or `/` in it would
 * make the request another route than the one the command names.
 */
export function uuid(value: string): string {
  if (!UUID.test(value)) throw new InvalidArgumentError('Must be an id (a UUID).');
  return value.toLowerCase();
}
