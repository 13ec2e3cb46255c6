/**
 * What the usage report looks like on the wire. Its own file, free of server imports, so the
 * console and the CLI can import these types without the service behind them.
 */
export type UsageDimension = 'day' | 'key' | 'model';

export type UsageCounts = {
  requests: number;
  errors: number;
  tokens_in: number;
  tokens_out: number;
  /** What the requests cost in USD (summed in µUSD); requests no price applied to count 0. */
  cost_usd: number;
};

export type UsageGroup = { day?: string; key_id?: string; model?: string } & UsageCounts;

export type UsageReport = {
  group_by: UsageDimension[];
  since: string | null;
  until: string | null;
  data: UsageGroup[];
  /** Over every matching rollup, even when `data` was cut at MAX_GROUPS (usage.service.ts). */
  totals: UsageCounts;
  truncated: boolean;
};
