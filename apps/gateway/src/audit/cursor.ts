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
