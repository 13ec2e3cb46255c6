import { BadRequestException } from '@nestjs/common';

/** Opaque cursors: base64url of the parts of a keyset position, joined by `|`. */
export function encodeCursor(...parts: string[]): string {
  return Buffer.from(parts.join('|')).toString('base64url');
}

export function decodeCursor(cursor: string, expectedParts: number): string[] {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (parts.length !== expectedParts || parts.some((p) => p.length === 0)) {
    throw new BadRequestException('Invalid cursor');
  }
  return parts;
}

/** A bigint column position (audit seq), as a decimal string Postgres can compare. */
export function decodeSeqCursor(cursor: string): string {
  const [seq] = decodeCursor(cursor, 1);
  if (!seq || !/^[1-9][0-9]{0,18}$/.test(seq)) throw new BadRequestException('Invalid cursor');
  return seq;
}

/** Position in a list ordered by creation time (at millisecond precision), then id. */
export function encodeTimeCursor(createdAt: Date, id: string): string {
  return encodeCursor(createdAt.toISOString(), id);
}

export function decodeTimeCursor(cursor: string): { createdAt: Date; id: string } {
  const [createdAt, id] = decodeCursor(cursor, 2);
  const date = new Date(createdAt ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(date.getTime())) {
    throw new BadRequestException('Invalid cursor');
  }
  return { createdAt: date, id };
}
