import { Command } from 'commander';
import type { SignedHead, VerifyProblem, VerifyResult } from '@gatehouse/queue';
import type { AuditEventView } from '../../../gateway/src/audit-admin/audit-view.js';
import type { AdminApi, Query } from '../admin-api.js';
import { contextOf } from '../command-context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { cell, formatFields, type Output } from '../output.js';
import { integer, timestamp, uuid } from '../option-parsers.js';
import type { Page } from './pages.js';

const AUDIT = '/api/v1/admin/audit';

/** The gateway waits up to 120 s for the audit app to walk the chain; wait a little longer. */
const VERIFY_TIMEOUT_MS = 130_000;

/** New events fetched per poll at most (pages of 200): a burst beyond it is shown in part. */
const FOLLOW_MAX_PAGES = 10;

type TailOptions = {
  lines: number;
  type?: string;
  key?: string;
  since?: string;
  follow?: boolean;
  interval: number;
  for: number;
};

const PROBLEMS: Record<VerifyProblem, string> = {
  broken_link:
    'a record does not link to the one before it, or its content does not match its hash',
  checkpoint_unmatched: 'a retention checkpoint has no matching retention.run event',
  chain_start_invalid: 'the marker where the keyed chain starts was not written with the chain key',
  head_unverifiable: 'the expected head was not signed by this audit app',
  head_missing: 'the chain no longer reaches the expected head: its tail was cut off',
  head_changed: 'the record at the expected head has another hash',
};

/** `gatehouse audit ...`: verify the chain, get its signed head, read recent events. */
export function auditCommand(): Command {
  const audit = new Command('audit').description('the audit trail: verify, head, tail');

  audit
    .command('verify')
    .description(
      'check the hash chain; exits 7 and names the first broken record when it is broken',
    )
    .option(
      '--expect-head <token>',
      'a token from `audit head` stored elsewhere: is the chain still that long?',
    )
    .action(async (options: { expectHead?: string }, command: Command) => {
      const ctx = contextOf(command);
      const result = await ctx.api().get<VerifyResult>(`${AUDIT}/verify`, {
        query: { expect_head: options.expectHead },
        timeoutMs: VERIFY_TIMEOUT_MS,
      });
      ctx.out.result(result, formatVerify);
      if (!result.ok) throw new CliError(brokenMessage(result), ExitCode.chainBroken);
    });

  audit
    .command('head')
    .description(
      'the newest link of the chain, signed by the audit app: store its token off the server',
    )
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const head = await ctx.api().get<SignedHead>(`${AUDIT}/head`);
      // One line of JSON with --json, so heads can be appended to a .jsonl file.
      ctx.out.record(head, (h) =>
        formatFields([
          ['seq', h.seq],
          ['hash', h.hash],
          ['signed at', h.signed_at],
          ['token', h.token],
        ]),
      );
    });

  audit
    .command('tail')
    .description('the most recent audit events, oldest first (--json: one JSON object per line)')
    .option('-n, --lines <n>', 'how many events', integer(1, 200), 20)
    .option('--type <type>', 'only events of this type, e.g. key.created')
    .option('--key <id>', 'only events of this client key', uuid)
    .option('--since <time>', 'only events at or after this time, ISO 8601', timestamp)
    .option('-f, --follow', 'keep printing new events as they are stored')
    .option('--interval <seconds>', 'with --follow: seconds between checks', integer(1, 60), 2)
    .option(
      '--for <seconds>',
      'with --follow: stop after this many seconds',
      integer(1, 86_400),
      600,
    )
    .action(async (options: TailOptions, command: Command) => {
      const ctx = contextOf(command);
      const api = ctx.api();
      const filters: Query = { type: options.type, key_id: options.key, since: options.since };
      const page = await api.get<Page<AuditEventView>>(AUDIT, {
        query: { ...filters, limit: options.lines },
      });
      const recent = [...page.data].reverse();
      printEvents(ctx.out, recent);
      if (!options.follow) return;
      let last = recent.at(-1)?.seq ?? '0';
      const deadline = Date.now() + options.for * 1000;
      while (Date.now() < deadline) {
        await sleep(Math.min(options.interval * 1000, Math.max(0, deadline - Date.now())));
        const fresh = await eventsAfter(api, filters, last);
        printEvents(ctx.out, fresh);
        last = fresh.at(-1)?.seq ?? last;
      }
    });

  return audit;
}

/** Events newer than `seq`, oldest first, reading back from the newest page by page. */
async function eventsAfter(api: AdminApi, filters: Query, seq: string): Promise<AuditEventView[]> {
  const fresh: AuditEventView[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < FOLLOW_MAX_PAGES; pages++) {
    const page = await api.get<Page<AuditEventView>>(AUDIT, {
      query: { ...filters, limit: 200, cursor },
    });
    const newer = page.data.filter((e) => BigInt(e.seq) > BigInt(seq));
    fresh.push(...newer);
    if (newer.length < page.data.length || !page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return fresh.reverse();
}

function printEvents(out: Output, events: readonly AuditEventView[]): void {
  for (const event of events) out.record(event, eventLine);
}

/** One event on one line: seq, time, type, actor, key, request, then its (redacted) data. */
export function eventLine(e: AuditEventView): string {
  const request = e.request
    ? [e.request.method, e.request.path, e.request.ip].filter((p) => p !== null).join(' ')
    : null;
  return [e.seq, e.at, e.type, e.actor, `key=${cell(e.key_id)}`, cell(request), cell(e.data)].join(
    '  ',
  );
}

export function formatVerify(result: VerifyResult): string {
  const fields: [string, unknown][] = [
    ['chain', result.ok ? 'ok' : 'BROKEN'],
    ['records checked', result.checked],
    ['legacy (SHA-256) links', result.legacy_checked],
    [
      'from',
      result.from_checkpoint
        ? `checkpoint after seq ${result.from_checkpoint.last_deleted_seq}`
        : 'the first record',
    ],
    ['last seq', result.last_seq],
  ];
  if (result.expected_head) {
    fields.push([
      'expected head',
      `seq ${result.expected_head.seq}: ${result.expected_head.status.replaceAll('_', ' ')}`,
    ]);
  }
  if (!result.ok) {
    fields.push(['problem', result.problem ? PROBLEMS[result.problem] : 'unknown']);
    if (result.first_broken_seq) fields.push(['first broken seq', result.first_broken_seq]);
    if (result.first_broken_event_id) {
      fields.push(['first broken event', result.first_broken_event_id]);
    }
  }
  return formatFields(fields);
}

function brokenMessage(result: VerifyResult): string {
  const where = result.first_broken_seq
    ? ` at seq ${result.first_broken_seq}${result.first_broken_event_id ? ` (event ${result.first_broken_event_id})` : ''}`
    : '';
  const what = result.problem ? PROBLEMS[result.problem] : 'unknown problem';
  return `The audit chain is broken${where}: ${what}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
