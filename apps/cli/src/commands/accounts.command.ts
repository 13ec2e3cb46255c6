import { Command } from 'commander';
import type { AccountView } from '../../../gateway/src/accounts/account-view.js';
import { contextOf } from '../command-context.js';
import { type Column, formatFields, formatTable } from '../output.js';
import { integer, list, oneOf, uuid } from '../option-parsers.js';
import { readSecret } from '../secret-input.js';
import { listAll } from './pages.js';

const ACCOUNTS = '/api/v1/admin/accounts';

type CreateOptions = {
  name: string;
  provider: 'openai' | 'anthropic';
  baseUrl: string;
  models?: string[];
  weight?: number;
  priority?: number;
  paused?: boolean;
};

const ACCOUNT_COLUMNS: Column<AccountView>[] = [
  { header: 'ID', value: (a) => a.id },
  { header: 'NAME', value: (a) => a.name },
  { header: 'PROVIDER', value: (a) => a.provider },
  { header: 'BASE URL', value: (a) => a.base_url },
  { header: 'STATUS', value: (a) => a.status },
  { header: 'MODELS', value: (a) => (a.models.length ? a.models : 'any') },
  { header: 'WEIGHT', value: (a) => a.weight },
  { header: 'PRIORITY', value: (a) => a.priority },
];

/** `gatehouse accounts ...`: upstream accounts. The credential goes in and never comes out. */
export function accountsCommand(): Command {
  const accounts = new Command('accounts').description(
    'upstream accounts: create, list, get, pause, resume, delete',
  );

  accounts
    .command('create')
    .description(
      'add an upstream account; its credential is read from stdin or a prompt that does not echo',
    )
    .requiredOption('--name <name>', 'a name for the account')
    .requiredOption(
      '--provider <provider>',
      'openai or anthropic',
      oneOf(['openai', 'anthropic'] as const),
    )
    .requiredOption('--base-url <url>', 'the provider API base URL, e.g. https://api.openai.com/v1')
    .option(
      '--models <models>',
      'models it serves, comma-separated or repeated (default: any)',
      list,
    )
    .option(
      '--weight <n>',
      'share of traffic among accounts of the same priority',
      integer(1, 1000),
    )
    .option('--priority <n>', 'higher is preferred', integer(-1000, 1000))
    .option('--paused', 'create it paused')
    .addHelpText(
      'after',
      '\nThe credential is never an argument (arguments land in shell history):\n' +
        '  gatehouse accounts create --name main --provider openai \\\n' +
        '    --base-url https://api.openai.com/v1 < openai-key.txt',
    )
    .action(async (options: CreateOptions, command: Command) => {
      const ctx = contextOf(command);
      const api = ctx.api(); // configuration problems show before the credential is asked for
      const credential = await readSecret('Upstream credential (input hidden): ');
      const body: Record<string, unknown> = {
        name: options.name,
        provider: options.provider,
        base_url: options.baseUrl,
        credential,
        ...(options.models ? { models: options.models } : {}),
        ...(options.weight !== undefined ? { weight: options.weight } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
        ...(options.paused ? { status: 'paused' } : {}),
      };
      const account = await api.post<AccountView>(ACCOUNTS, body);
      ctx.out.result(account, accountDetails);
    });

  accounts
    .command('list')
    .description('list upstream accounts')
    .option('--limit <n>', 'accounts per page', integer(1, 200))
    .option('--cursor <cursor>', 'continue after an earlier page')
    .option('--all', 'follow every page')
    .action(
      async (options: { limit?: number; cursor?: string; all?: boolean }, command: Command) => {
        const ctx = contextOf(command);
        const page = await listAll<AccountView>(ctx.api(), ACCOUNTS, options);
        ctx.out.result(page, (p) => formatTable(ACCOUNT_COLUMNS, p.data));
        if (!ctx.out.json && page.next_cursor) ctx.out.note(`More: --cursor ${page.next_cursor}`);
      },
    );

  accounts
    .command('get')
    .description('show one upstream account')
    .argument('<id>', 'account id', uuid)
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.out.result(await ctx.api().get<AccountView>(`${ACCOUNTS}/${id}`), accountDetails);
    });

  for (const [action, description] of [
    ['pause', 'stop sending requests to an account'],
    ['resume', 'send requests to a paused account again'],
  ] as const) {
    accounts
      .command(action)
      .description(description)
      .argument('<id>', 'account id', uuid)
      .action(async (id: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const account = await ctx.api().post<AccountView>(`${ACCOUNTS}/${id}/${action}`);
        ctx.out.result(account, accountDetails);
      });
  }

  accounts
    .command('delete')
    .description('delete an upstream account and its sealed credential')
    .argument('<id>', 'account id', uuid)
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      await ctx.api().delete(`${ACCOUNTS}/${id}`);
      ctx.out.result({ id, deleted: true }, () => `Deleted account ${id}`);
    });

  return accounts;
}

function accountDetails(account: AccountView): string {
  return formatFields([
    ['id', account.id],
    ['name', account.name],
    ['provider', account.provider],
    ['base url', account.base_url],
    ['status', account.status],
    ['models', account.models.length ? account.models : 'any'],
    ['weight', account.weight],
    ['priority', account.priority],
    ['credential', `set (sealed under ${account.credential_key_id})`],
    ['created at', account.created_at],
    ['updated at', account.updated_at],
  ]);
}
