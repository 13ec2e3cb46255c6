import { BadRequestException } from '@nestjs/common';

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,200}$/;

/** The `Idempotency-Key` header: absent, or 1 to 200 printable ASCII characters. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw new BadRequestException('Idempotency-Key must be 1 to 200 printable ASCII characters');
  }
  return header;
}
