import { useState } from 'preact/hooks';
import { call, query, type Page } from '../api';
import type { AuditEvent, ChainVerification } from '../types';
import { Empty, ErrorNote, formatDate, useLoaded } from '../ui';

type Filters = { type: string; key_id: string; since: string; until: string };
const NO_FILTERS: Filters = { type: '', key_id: '', since: '', until: '' };

export function AuditPage() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [cursor, setCursor] = useState<string | null>(null);
  const [history, setHistory] = useState<(string | null)[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const list = useLoaded(
    () =>
      call<Page<AuditEvent>>(
        'GET',
        `/audit${query({
          limit: 50,
          cursor,
          type: filters.type,
          key_id: filters.key_id,
          since: filters.since && new Date(filters.since).toISOString(),
          until: filters.until && new Date(filters.until).toISOString(),
        })}`,
      ),
    [filters, cursor],
  );
  const verify = useLoaded(() => call<ChainVerification>('GET', '/audit/verify'), []);
  return (
    <>
      <section aria-labelledby="verify-title">
        <h2 id="verify-title">Chain verification</h2>
        <ErrorNote error={verify.error} />
        {verify.data && (
          <p class={verify.data.ok ? 'ok' : 'bad'} role="status">
            {verify.data.ok
              ? `The chain is intact (${verify.data.checked} records checked).`
              : `The chain is broken: first broken record ${verify.data.first_broken_seq ?? '?'} (event ${
                  verify.data.first_broken_event_id ?? '?'
                }): ${verify.data.problem ?? 'no detail'}`}
          </p>
        )}
        <button type="button" onClick={() => void verify.reload()} disabled={verify.loading}>
          Verify now
        </button>
      </section>
      <form
        class="inline"
        aria-label="Filter audit events"
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const get = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value.trim();
          setCursor(null);
          setHistory([]);
          setFilters({
            type: get('type'),
            key_id: get('key_id'),
            since: get('since'),
            until: get('until'),
          });
        }}
      >
        <label for="audit-type">Type</label>
        <input id="audit-type" name="type" placeholder="key.created" />
        <label for="audit-key">Key id</label>
        <input id="audit-key" name="key_id" />
        <label for="audit-since">Since</label>
        <input id="audit-since" name="since" type="datetime-local" />
        <label for="audit-until">Until</label>
        <input id="audit-until" name="until" type="datetime-local" />
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={list.error} />
      {list.data && list.data.data.length === 0 && (
        <Empty>
          No audit events match. Clear the filters, or wait a moment: events are written in batches.
        </Empty>
      )}
      {list.data && list.data.data.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
          <table>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Type</th>
                <th scope="col">Actor</th>
                <th scope="col">Request</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((e) => (
                <tr key={e.seq}>
                  <td>{e.seq}</td>
                  <td>{formatDate(e.at)}</td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>{e.actor}</td>
                  <td>
                    {e.request
                      ? `${e.request.method ?? ''} ${e.request.path ?? ''} (${e.request.ip ?? ''})`
                      : '—'}
                  </td>
                  <td>
                    <button
                      type="button"
                      aria-expanded={open === e.seq}
                      onClick={() => setOpen(open === e.seq ? null : e.seq)}
                    >
                      {open === e.seq ? 'Hide' : 'Show'}
                    </button>
                    {open === e.seq && (
                      <pre class="detail">
                        {JSON.stringify({ key_id: e.key_id, ...e.data }, null, 2)}
                      </pre>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="pager">
        <button
          type="button"
          disabled={history.length === 0}
          onClick={() => {
            setCursor(history[history.length - 1] ?? null);
            setHistory(history.slice(0, -1));
          }}
        >
          Newer
        </button>
        <button
          type="button"
          disabled={!list.data?.next_cursor}
          onClick={() => {
            setHistory([...history, cursor]);
            setCursor(list.data?.next_cursor ?? null);
          }}
        >
          Older
        </button>
      </div>
    </>
  );
}
