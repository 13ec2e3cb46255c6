import { keysetPage } from './keyset-page.js';

type Row = { id: number };
const rows = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: i + 1 }));
const view = (row: Row) => `row ${row.id}`;
const positionOf = (row: Row) => `after ${row.id}`;

describe('keysetPage', () => {
  it('shows `limit` rows and points the next cursor at the last one shown', () => {
    expect(keysetPage(rows(4), 3, view, positionOf)).toEqual({
      data: ['row 1', 'row 2', 'row 3'],
      next_cursor: 'after 3',
    });
  });

  it('has no next cursor when no row beyond the limit was read', () => {
    expect(keysetPage(rows(3), 3, view, positionOf)).toEqual({
      data: ['row 1', 'row 2', 'row 3'],
      next_cursor: null,
    });
  });

  it('answers an empty page for no rows', () => {
    expect(keysetPage([], 50, view, positionOf)).toEqual({ data: [], next_cursor: null });
  });
});
