import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

/** A cursor page of `item`, `{ data, next_cursor }`, as a schema named `name`. */
export function pageOf<T>(
  item: Type<T>,
  name: string,
): Type<{ data: T[]; next_cursor: string | null }> {
  class Page {
    @ApiProperty({ type: [item] })
    data!: T[];

    @ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass as `cursor` for the next page; null on the last',
    })
    next_cursor!: string | null;
  }
  Object.defineProperty(Page, 'name', { value: name });
  return Page;
}
