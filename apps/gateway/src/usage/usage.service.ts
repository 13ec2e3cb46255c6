import { BadRequestException, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UsageQuery } from './dto/usage.query.js';
import type { UsageCounts, UsageDimension, UsageReport } from './usage-view.js';

/** More groups than this is a report nobody reads; narrow the range or the grouping instead. */
const MAX_GROUPS = 10_000;

const COLUMN: Record<UsageDimension, { select: string; alias: string }> = {
  day: { select: `to_char(day, 'YYYY-MM-DD')`, alias: 'day' },
  key: { select: 'key_id::text', alias: 'key_id' },
  model: { select: 'model', alias: 'model' },
};

type Row = Record<string, string | null>;

/** usage_daily.cost_micros counts µUSD. */
const MICROS_PER_USD = 1_000_000;

/**
 * Usage from the `usage_daily` rollups the audit app maintains as it stores request.completed
 * events. Never scans audit_events: the rollups are small whatever the traffic was.
 */
@Injectable()
export class UsageService {
  constructor(private readonly dataSource: DataSource) {}

  async report(query: UsageQuery): Promise<UsageReport> {
    for (const [name, day] of [
      ['since', query.since],
      ['until', query.until],
    ] as const) {
      if (day && !isCalendarDay(day))
        throw new BadRequestException(`${name} is not a calendar day`);
    }
    if (query.since && query.until && query.since > query.until) {
      throw new BadRequestException('since must not be after until');
    }
    const groupBy = [...new Set((query.group_by ?? 'day').split(',') as UsageDimension[])];
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.since) where.push(`day >= ${param(query.since)}::date`);
    if (query.until) where.push(`day <= ${param(query.until)}::date`);
    if (query.key_id) where.push(`key_id = ${param(query.key_id)}::uuid`);
    if (query.model) where.push(`model = ${param(query.model)}`);
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    // Sums come back as text (bigint sums are numeric); cost is divided in numeric, so exactly.
    const sums = `COALESCE(SUM(requests), 0)::text AS requests, COALESCE(SUM(errors), 0)::text AS errors,
                  COALESCE(SUM(tokens_in), 0)::text AS tokens_in, COALESCE(SUM(tokens_out), 0)::text AS tokens_out,
                  (COALESCE(SUM(cost_micros), 0) / ${MICROS_PER_USD})::text AS cost_usd`;
    const columns = groupBy.map((d) => `${COLUMN[d].select} AS ${COLUMN[d].alias}`).join(', ');
    const order = groupBy.map((d) => COLUMN[d].alias).join(', ');

    const [groups, totals] = await Promise.all([
      this.dataSource.query<Row[]>(
        `SELECT ${columns}, ${sums} FROM usage_daily ${filter}
          GROUP BY ${order} ORDER BY ${order} LIMIT ${MAX_GROUPS + 1}`,
        params,
      ),
      this.dataSource.query<Row[]>(`SELECT ${sums} FROM usage_daily ${filter}`, params),
    ]);
    return {
      group_by: groupBy,
      since: query.since ?? null,
      until: query.until ?? null,
      data: groups.slice(0, MAX_GROUPS).map((row) => ({
        ...Object.fromEntries(groupBy.map((d) => [COLUMN[d].alias, row[COLUMN[d].alias] ?? null])),
        ...counts(row),
      })),
      totals: counts(totals[0] ?? {}),
      truncated: groups.length > MAX_GROUPS,
    };
  }
}

function counts(row: Row): UsageCounts {
  return {
    requests: Number(row.requests ?? 0),
    errors: Number(row.errors ?? 0),
    tokens_in: Number(row.tokens_in ?? 0),
    tokens_out: Number(row.tokens_out ?? 0),
    cost_usd: Number(row.cost_usd ?? 0),
  };
}

function isCalendarDay(day: string): boolean {
  const date = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}
