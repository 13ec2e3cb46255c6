import { Command } from 'commander';
import type { KeyWithSecret } from '../../../gateway/src/keys/keys.service.js';
import type { KeyView } from '../../../gateway/src/keys/key-view.js';
import { contextOf, type CommandContext } from '../command-context.js';
import { type Column, formatFields, formatTable } from '../output.js';
import { integer, list, oneOf, timestamp, uuid } from '../option-parsers.js';
import { listAll } from './pages.js';

const KEYS = '/api/v1/admin/keys';

type CreateOptions = {
  name?: string;
  models?: string[];
  rpm?: number;
  tokensPerMinute?: number;
  tokensPerDay?: number;
  requestsPerDay?: number;
  costPerDay?: number;
  costPerMonth?: number;
  maxConcurrent?: number;
  piiPolicy?: 'off' | 'mask' | 'block';
  allowIp?: string[];
  expiresAt?: string;
};

const KEY_COLUMNS: Column<KeyView>[] = [
  { header: 'ID', value: (k) => k.id },
  { header: 'PREFIX', value: (k) => k.prefix },
  { header: 'NAME', value: (k) => k.name },
  { header: 'STATUS', value: (k) => k.status },
  { header: 'MODELS', value: (k) => (k.allowed_models.length ? k.allowed_models : 'all') },
  { header: 'RPM', value: (k) => k.requests_per_minute },
  { header: 'EXPIRES', value: (k) => k.expires_at },
  { header: 'LAST USED', value: (k) => k.last_used_at },
];

/** `gatehouse keys ...`: client keys. A key's secret is printed once, by create and rotate. */
export function keysCommand(): Command {
  const keys = new Command('keys').description('client keys: create, list, get, rotate, revoke');

  keys
    .command('create')
    .description('create a client key; its secret is printed once, store it now')
    .option('--name <name>', 'what the key is for')
    .option('--models <models>', 'allowed models, comma-separated or repeated (default: all)', list)
    .option('--rpm <n>', 'requests per minute', integer(1, 1_000_000))
    .option('--tokens-per-minute <n>', 'token budget per minute', integer(1, 2_000_000_000))
    .option('--tokens-per-day <n>', 'token budget per UTC day', integer(1, 2_000_000_000))
    .option('--requests-per-day <n>', 'request budget per UTC day', integer(1, 2_000_000_000))
    .option('--cost-per-day <cents>', 'cost budget per UTC day, US cents', integer(1, 100_000_000))
    .option(
      '--cost-per-month <cents>',
      'cost budget per UTC month, US cents',
      integer(1, 100_000_000),
    )
    .option('--max-concurrent <n>', 'requests in flight at once', integer(1, 100_000))
    .option('--pii-policy <policy>', 'off, mask or block', oneOf(['off', 'mask', 'block'] as const))
    .option(
      '--allow-ip <cidr>',
      'addresses or CIDRs the key may be used from, comma-separated or repeated',
      list,
    )
    .option('--expires-at <time>', 'expiry, ISO 8601 (e.g. 2027-06-30T00:00:00Z)', timestamp)
    .action(async (options: CreateOptions, command: Command) => {
      const ctx = contextOf(command);
      const created = await ctx.api().post<KeyWithSecret>(KEYS, createBody(options));
      printWithSecret(ctx, created, 'Store this key now: it is not shown again.');
    });

  keys
    .command('list')
    .description('list client keys, newest first')
    .option('--limit <n>', 'keys per page', integer(1, 200))
    .option('--cursor <cursor>', 'continue after an earlier page')
    .option('--all', 'follow every page')
    .action(
      async (options: { limit?: number; cursor?: string; all?: boolean }, command: Command) => {
        const ctx = contextOf(command);
        const page = await listAll<KeyView>(ctx.api(), KEYS, options);
        ctx.out.result(page, (p) => formatTable(KEY_COLUMNS, p.data));
        if (!ctx.out.json && page.next_cursor) ctx.out.note(`More: --cursor ${page.next_cursor}`);
      },
    );

  keys
    .command('get')
    .description('show one client key')
    .argument('<id>', 'key id', uuid)
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const key = await ctx.api().get<KeyView>(`${KEYS}/${id}`);
      ctx.out.result(key, keyDetails);
    });

  keys
    .command('rotate')
    .description(
      'give a key a new secret (printed once); the old one stops working after the grace period',
    )
    .argument('<id>', 'key id', uuid)
    .option(
      '--grace-seconds <n>',
      'how long the old secret keeps working (default 0)',
      integer(0, 30 * 24 * 3600),
    )
    .action(async (id: string, options: { graceSeconds?: number }, command: Command) => {
      const ctx = contextOf(command);
      const body =
        options.graceSeconds === undefined ? {} : { grace_seconds: options.graceSeconds };
      const rotated = await ctx.api().post<KeyWithSecret>(`${KEYS}/${id}/rotate`, body);
      const grace = rotated.previous_secret_expires_at
        ? `The old secret works until ${rotated.previous_secret_expires_at}.`
        : 'The old secret no longer works.';
      printWithSecret(ctx, rotated, `Store this key now: it is not shown again. ${grace}`);
    });

  keys
    .command('revoke')
    .description('revoke a key at once, on every gateway replica')
    .argument('<id>', 'key id', uuid)
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const key = await ctx.api().post<KeyView>(`${KEYS}/${id}/revoke`);
      ctx.out.result(key, keyDetails);
    });

  return keys;
}

/** The API's field names; options left out are left out, so the gateway's defaults apply. */
export function createBody(options: CreateOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: options.name,
    allowed_models: options.models,
    requests_per_minute: options.rpm,
    tokens_per_minute: options.tokensPerMinute,
    tokens_per_day: options.tokensPerDay,
    requests_per_day: options.requestsPerDay,
    cost_per_day: options.costPerDay,
    cost_per_month: options.costPerMonth,
    max_concurrent: options.maxConcurrent,
    pii_policy: options.piiPolicy,
    allowed_ips: options.allowIp,
    expires_at: options.expiresAt,
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

/** The key's details, then its secret alone on the last line (`| tail -n 1` gets it). */
function printWithSecret(ctx: CommandContext, key: KeyWithSecret, note: string): void {
  ctx.out.result(key, (k) => `${keyDetails(k)}\n\n${k.key}`);
  if (!ctx.out.json) ctx.out.note(note);
}

function keyDetails(key: KeyView): string {
  return formatFields([
    ['id', key.id],
    ['prefix', key.prefix],
    ['name', key.name],
    ['status', key.status],
    ['allowed models', key.allowed_models.length ? key.allowed_models : 'all'],
    ['requests/min', key.requests_per_minute],
    ['tokens/min', key.tokens_per_minute],
    ['tokens/day', key.tokens_per_day],
    ['requests/day', key.requests_per_day],
    ['cost/day (cents)', key.cost_per_day],
    ['cost/month (cents)', key.cost_per_month],
    ['max concurrent', key.max_concurrent],
    ['pii policy', key.pii_policy],
    ['allowed ips', key.allowed_ips.length ? key.allowed_ips : 'any'],
    ['expires at', key.expires_at],
    ['revoked at', key.revoked_at],
    ['last used at', key.last_used_at],
    ['old secret until', key.previous_secret_expires_at],
    ['created at', key.created_at],
  ]);
}
