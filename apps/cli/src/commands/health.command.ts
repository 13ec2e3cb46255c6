import { Command } from 'commander';
import type { SystemHealth } from '../../../gateway/src/system/system-health.service.js';
import { contextOf } from '../command-context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatTable } from '../output.js';

type Row = { component: string; status: string; detail: string };

/** `gatehouse health`: Postgres, Redis, queues, workers and audit lag; exit 6 when degraded. */
export function healthCommand(): Command {
  return new Command('health')
    .description('the gateway and its dependencies; exits 6 when anything is down')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const health = await ctx.api().get<SystemHealth>('/api/v1/admin/system-health');
      ctx.out.result(health, formatHealth);
      if (health.status !== 'ok') {
        throw new CliError('The gateway reports itself degraded', ExitCode.unavailable);
      }
    });
}

export function formatHealth(health: SystemHealth): string {
  const rows: Row[] = [
    dependency('postgres', health.postgres),
    dependency('redis', health.redis),
    ...Object.entries(health.queues).map(([name, q]): Row =>
      q.available
        ? {
            component: `queue ${name}`,
            status: q.paused ? 'paused' : 'ok',
            detail: `waiting ${q.waiting + q.prioritized}, active ${q.active}, delayed ${q.delayed}, failed ${q.failed}, workers ${q.workers ?? '?'}`,
          }
        : { component: `queue ${name}`, status: 'down', detail: q.error },
    ),
    health.audit_lag.available
      ? {
          component: 'audit lag',
          status: 'ok',
          detail: `${health.audit_lag.waiting_jobs} jobs waiting, oldest ${health.audit_lag.oldest_waiting_age_ms} ms`,
        }
      : { component: 'audit lag', status: 'unknown', detail: health.audit_lag.error },
  ];
  const table = formatTable(
    [
      { header: 'COMPONENT', value: (r: Row) => r.component },
      { header: 'STATUS', value: (r: Row) => r.status },
      { header: 'DETAIL', value: (r: Row) => r.detail },
    ],
    rows,
  );
  return `gateway: ${health.status} (checked ${health.checked_at})\n${table}`;
}

function dependency(name: string, d: SystemHealth['postgres']): Row {
  const parts = [
    d.latency_ms === null ? undefined : `${d.latency_ms} ms`,
    d.version,
    d.error,
  ].filter((p): p is string => p !== undefined);
  return { component: name, status: d.up ? 'ok' : 'down', detail: parts.join(', ') };
}
