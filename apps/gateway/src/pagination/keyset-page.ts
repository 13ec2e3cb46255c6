/** One page of a cursor-paginated list, as every list route answers it. */
export type Page<T> = { data: T[]; next_cursor: string | null };

/**
 * The page of `rows`, read with one row more than `limit`: that extra row only says a next page
 * exists, and the next page starts after the last row shown (`positionOf` makes its cursor).
 */
export function keysetPage<Row, View>(
  rows: readonly Row[],
  limit: number,
  view: (row: Row) => View,
  positionOf: (row: Row) => string,
): Page<View> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map((row) => view(row)),
    next_cursor: rows.length > limit && last !== undefined ? positionOf(last) : null,
  };
}
