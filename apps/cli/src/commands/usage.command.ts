import { Command } from 'commander';
import type {
  UsageDimension,
  UsageGroup,
  UsageReport,
} from '../../../gateway/src/usage/usage-view.js';
import { contextOf } from '../command-context.js';
import { type Column, formatTable } from '../output.js';
import { day, list, oneOf, uuid } from '../option-parsers.js';

type UsageOptions = {
  since?: string;
  until?: string;
  key?: string;
  model?: string;
  groupBy?: string[];
};

const DIMENSIONS = ['day', 'key', 'model'] as const;

const DIMENSION_COLUMNS: Record<UsageDimension, Column<UsageGroup>> = {
  day: { header: 'DAY', value: (g) => g.day },
  key: { header: 'KEY', value: (g) => g.key_id },
  model: { header: 'MODEL', value: (g) => g.model },
};

const COUNT_COLUMNS: Column<UsageGroup>[] = [
  { header: 'REQUESTS', value: (g) => g.requests },
  { header: 'ERRORS', value: (g) => g.errors },
  { header: 'TOKENS IN', value: (g) => g.tokens_in },
  { header: 'TOKENS OUT', value: (g) => g.tokens_out },
  { header: 'COST USD', value: (g) => g.cost_usd },
];

/** `gatehouse usage`: requests, errors, tokens and cost per UTC day, key and/or model. */
export function usageCommand(): Command {
  return new Command('usage')
    .description('requests, errors, tokens and cost per day, key or model (UTC days)')
    .option('--since <day>', 'first day, YYYY-MM-DD (inclusive)', day)
    .option('--until <day>', 'last day, YYYY-MM-DD (inclusive)', day)
    .option('--key <id>', 'only this client key', uuid)
    .option('--model <model>', 'only this model')
    .option(
      '--group-by <dimensions>',
      'day, key, model, or a combination such as key,model',
      (v, prev: string[] = []) => list(v, prev).map(oneOf(DIMENSIONS)),
    )
    .action(async (options: UsageOptions, command: Command) => {
      const ctx = contextOf(command);
      const report = await ctx.api().get<UsageReport>('/api/v1/admin/usage', {
        query: {
          since: options.since,
          until: options.until,
          key_id: options.key,
          model: options.model,
          group_by: options.groupBy?.join(','),
        },
      });
      ctx.out.result(report, formatUsage);
      if (!ctx.out.json && report.truncated) {
        ctx.out.note(
          'Too many groups: the list was cut (totals cover everything); narrow the range.',
        );
      }
    });
}

/** The groups, then a TOTAL row in the first column. */
export function formatUsage(report: UsageReport): string {
  const dimensions = report.group_by.map((d) => DIMENSION_COLUMNS[d]);
  const [first, ...rest] = dimensions;
  const label: Column<UsageGroup & { total?: true }> = {
    header: first?.header ?? '',
    value: (g) => (g.total ? 'TOTAL' : first?.value(g)),
  };
  const rows: (UsageGroup & { total?: true })[] = [
    ...report.data,
    { ...report.totals, total: true },
  ];
  return formatTable([label, ...rest, ...COUNT_COLUMNS], rows);
}
