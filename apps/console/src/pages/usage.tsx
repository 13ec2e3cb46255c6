import { useMemo, useState } from 'preact/hooks';
import { call, query } from '../api';
import type { UsageReport, UsageRow } from '../types';
import { Empty, ErrorNote, useLoaded } from '../ui';
import { DailyChart } from './usage-chart';

const DAY_MS = 86_400_000;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function byDay(rows: UsageRow[]): { days: string[]; rows: UsageRow[] } {
  const sorted = [...rows]
    .filter((r) => r.day)
    .sort((a, b) => (a.day ?? '').localeCompare(b.day ?? ''));
  return { days: sorted.map((r) => r.day ?? ''), rows: sorted };
}

export function UsagePage() {
  const [range, setRange] = useState({
    since: isoDay(Date.now() - 29 * DAY_MS),
    until: isoDay(Date.now()),
  });
  const daily = useLoaded(
    () => call<UsageReport>('GET', `/usage${query({ ...range, group_by: 'day' })}`),
    [range],
  );
  const detail = useLoaded(
    () => call<UsageReport>('GET', `/usage${query({ ...range, group_by: 'day,key,model' })}`),
    [range],
  );
  const chart = useMemo(() => byDay(daily.data?.data ?? []), [daily.data]);
  const series = useMemo(
    () => ({
      requests: [
        { label: 'Requests', values: chart.rows.map((r) => r.requests), color: '#1f5fbf' },
        { label: 'Errors', values: chart.rows.map((r) => r.errors), color: '#b3261e' },
      ],
      tokens: [
        { label: 'Tokens in', values: chart.rows.map((r) => r.tokens_in), color: '#1f7a3d' },
        { label: 'Tokens out', values: chart.rows.map((r) => r.tokens_out), color: '#7a4f1f' },
      ],
      cost: [{ label: 'Cost (USD)', values: chart.rows.map((r) => r.cost_usd), color: '#5b2c91' }],
    }),
    [chart],
  );
  return (
    <>
      <form
        class="inline"
        aria-label="Date range"
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const get = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value;
          setRange({ since: get('since'), until: get('until') });
        }}
      >
        <label for="usage-since">From</label>
        <input id="usage-since" name="since" type="date" defaultValue={range.since} required />
        <label for="usage-until">To</label>
        <input id="usage-until" name="until" type="date" defaultValue={range.until} required />
        <button type="submit">Show</button>
      </form>
      <ErrorNote error={daily.error ?? detail.error} />
      {daily.data && (
        <p>
          Totals: {daily.data.totals.requests} requests, {daily.data.totals.errors} errors,{' '}
          {daily.data.totals.tokens_in + daily.data.totals.tokens_out} tokens, $
          {daily.data.totals.cost_usd.toFixed(4)}
        </p>
      )}
      {daily.data && chart.days.length === 0 && (
        <Empty>
          No usage in this range. Create a key on the Keys page and send a request with it.
        </Empty>
      )}
      {chart.days.length > 0 && (
        <div class="charts">
          <DailyChart title="Requests and errors" days={chart.days} series={series.requests} />
          <DailyChart title="Tokens" days={chart.days} series={series.tokens} />
          <DailyChart title="Cost" days={chart.days} series={series.cost} />
        </div>
      )}
      {detail.data && detail.data.data.length > 0 && (
        <section aria-labelledby="usage-table">
          <h2 id="usage-table">Per key, model and day</h2>
          {detail.data.truncated && <p>Only the first rows are shown; narrow the range.</p>}
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
            <table>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">Key</th>
                  <th scope="col">Model</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Errors</th>
                  <th scope="col">Tokens in</th>
                  <th scope="col">Tokens out</th>
                  <th scope="col">Cost (USD)</th>
                </tr>
              </thead>
              <tbody>
                {detail.data.data.map((r) => (
                  <tr key={`${r.day}-${r.key_id}-${r.model}`}>
                    <td>{r.day}</td>
                    <td>
                      <code>{r.key_id ?? '—'}</code>
                    </td>
                    <td>{r.model ?? '—'}</td>
                    <td>{r.requests}</td>
                    <td>{r.errors}</td>
                    <td>{r.tokens_in}</td>
                    <td>{r.tokens_out}</td>
                    <td>{r.cost_usd.toFixed(4)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </>
  );
}
