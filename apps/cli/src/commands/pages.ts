import type { AdminApi } from '../admin-api.js';

export type Page<T> = { data: T[]; next_cursor: string | null };

/** Most pages `--all` follows: a bound, so a cursor that never ends cannot loop forever. */
const MAX_PAGES = 1000;

/** One page of a cursor-paginated list, or with `all` every page joined into one. */
export async function listAll<T>(
  api: AdminApi,
  path: string,
  options: { limit?: number; cursor?: string; all?: boolean },
): Promise<Page<T>> {
  const data: T[] = [];
  let cursor = options.cursor;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await api.get<Page<T>>(path, { query: { limit: options.limit, cursor } });
    data.push(...page.data);
    if (!options.all || !page.next_cursor) return { data, next_cursor: page.next_cursor };
    cursor = page.next_cursor;
  }
  return { data, next_cursor: cursor ?? null };
}
