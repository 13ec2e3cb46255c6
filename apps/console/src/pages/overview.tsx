import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import type { ChainVerification, DiskUsage, SystemHealth } from '../types';
import { ErrorNote, messageOf, useLoaded } from '../ui';

const REFRESH_MS = 5_000;

function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function Status({ up, label }: { up: boolean; label: string }) {
  return <span class={up ? 'ok' : 'bad'}>{up ? `${label}: up` : `${label}: down`}</span>;
}

export function OverviewPage() {
  const [health, setHealth] = useState<SystemHealth | null>(null);
  const [disk, setDisk] = useState<DiskUsage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const chain = useLoaded(() => call<ChainVerification>('GET', '/audit/verify'), []);

  useEffect(() => {
    let stopped = false;
    const refresh = async () => {
      try {
        const [h, d] = await Promise.all([
          call<SystemHealth>('GET', '/system-health'),
          call<DiskUsage>('GET', '/disk-usage'),
        ]);
        if (stopped) return;
        setHealth(h);
        setDisk(d);
        setError(null);
      } catch (err) {
        if (!stopped) setError(messageOf(err));
      }
    };
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  return (
    <>
      <ErrorNote error={error} />
      {health && (
        <section aria-labelledby="deps">
          <h2 id="deps">
            Dependencies <small>(checked {new Date(health.checked_at).toLocaleTimeString()})</small>
          </h2>
          <p class="status-line">
            <Status up={health.postgres.up} label="Postgres" />{' '}
            <Status up={health.redis.up} label="Redis" />{' '}
            <span class={health.status === 'ok' ? 'ok' : 'bad'}>Overall: {health.status}</span>
          </p>
          <h2>Queues</h2>
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
            <table>
              <caption class="visually-hidden">Queue depths and live workers</caption>
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col">Waiting</th>
                  <th scope="col">Active</th>
                  <th scope="col">Delayed</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Live workers</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(health.queues).map(([name, q]) =>
                  q.available ? (
                    <tr key={name}>
                      <th scope="row">{name}</th>
                      <td>{q.waiting + q.prioritized}</td>
                      <td>{q.active}</td>
                      <td>{q.delayed}</td>
                      <td>{q.failed}</td>
                      <td>{q.workers ?? 'unknown'}</td>
                    </tr>
                  ) : (
                    <tr key={name}>
                      <th scope="row">{name}</th>
                      <td colSpan={5}>unavailable: {q.error}</td>
                    </tr>
                  ),
                )}
              </tbody>
            </table>
          </div>
          <h2>Audit trail</h2>
          <p>
            {health.audit_lag.available
              ? `${health.audit_lag.waiting_jobs} batches of events waiting to be written; oldest ${Math.round(
                  health.audit_lag.oldest_waiting_age_ms / 1000,
                )} s old.`
              : `Audit lag unavailable: ${health.audit_lag.error}`}
          </p>
        </section>
      )}
      <section aria-labelledby="chain">
        <h2 id="chain">Audit chain</h2>
        <ErrorNote error={chain.error} />
        {chain.data && (
          <p class={chain.data.ok ? 'ok' : 'bad'}>
            {chain.data.ok
              ? `Intact: ${chain.data.checked} records checked.`
              : `Broken at record ${chain.data.first_broken_seq ?? '?'}: ${chain.data.problem ?? ''}`}
          </p>
        )}
        <button type="button" onClick={() => void chain.reload()} disabled={chain.loading}>
          Verify again
        </button>
      </section>
      {disk && (
        <section aria-labelledby="disk">
          <h2 id="disk">Disk usage</h2>
          <dl class="facts">
            <dt>Database</dt>
            <dd>{disk.database.available ? bytes(disk.database.bytes) : disk.database.error}</dd>
            <dt>Redis memory</dt>
            <dd>
              {disk.redis.available
                ? `${bytes(disk.redis.used_memory_bytes)}${
                    disk.redis.maxmemory_bytes ? ` of ${bytes(disk.redis.maxmemory_bytes)}` : ''
                  }${disk.redis.warning ? ` — ${disk.redis.warning}` : ''}`
                : disk.redis.error}
            </dd>
            <dt>Postgres data directory free</dt>
            <dd>
              {bytes(disk.data_directory.free_bytes)} of {bytes(disk.data_directory.total_bytes)}
            </dd>
            <dt>Gateway filesystem used</dt>
            <dd>
              {disk.gateway_filesystem ? `${disk.gateway_filesystem.used_percent}%` : 'unknown'}
            </dd>
          </dl>
        </section>
      )}
    </>
  );
}
