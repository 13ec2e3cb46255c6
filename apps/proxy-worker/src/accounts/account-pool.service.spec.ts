import type { AppConfig } from '@gatehouse/config';
import {
  generateCredentialKeyPair,
  parsePublicKey,
  sealAccountCredential,
  sealCredential,
} from '@gatehouse/crypto';
import type { UpstreamAccount } from '@gatehouse/db';
import { randomUUID } from 'node:crypto';
import type { Repository } from 'typeorm';
import { AccountPool } from './account-pool.service.js';

type Row = Pick<
  UpstreamAccount,
  | 'id'
  | 'name'
  | 'provider'
  | 'baseUrl'
  | 'models'
  | 'weight'
  | 'priority'
  | 'sealedCredential'
  | 'credentialKeyId'
>;

/** Stands in for the accounts table: each query answers when the test says so. */
class FakeTable {
  rows: Row[] = [];
  queries = 0;
  private waiting: (() => void)[] = [];
  hold = false;

  repo(): Repository<UpstreamAccount> {
    const query = {
      addSelect: () => query,
      where: () => query,
      getMany: () => {
        this.queries++;
        const snapshot = [...this.rows];
        if (!this.hold) return Promise.resolve(snapshot);
        return new Promise<Row[]>((resolve) => this.waiting.push(() => resolve(snapshot)));
      },
    };
    return { createQueryBuilder: () => query } as unknown as Repository<UpstreamAccount>;
  }

  /** Answers the queries sent so far (with the rows as they were when each was sent). */
  release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const answer of waiting) answer();
  }
}

const pair = generateCredentialKeyPair('k1');
const sealingKey = parsePublicKey(pair.publicKey);

function row(name: string, credential: string, models: string[] = ['m']): Row {
  const id = randomUUID();
  return {
    id,
    name,
    provider: 'openai',
    baseUrl: 'https://api.example.com/v1',
    models,
    weight: 1,
    priority: 0,
    sealedCredential: sealAccountCredential(credential, sealingKey, {
      id,
      provider: 'openai',
      baseUrl: 'https://api.example.com/v1',
    }),
    credentialKeyId: 'k1',
  };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('AccountPool', () => {
  let table: FakeTable;
  let pool: AccountPool;

  beforeEach(() => {
    table = new FakeTable();
    pool = new AccountPool(table.repo(), {
      CREDENTIALS_PRIVATE_KEYS: pair.privateKey,
    } as AppConfig);
  });

  afterEach(() => pool.onApplicationShutdown());

  it('asks Postgres once, not per request', async () => {
    table.rows = [row('a', 'sk-a')];
    for (let i = 0; i < 5; i++) {
      const found = await pool.candidates('chat.completions', 'm');
      expect(found.map((a) => a.credential.toString())).toEqual(['sk-a']);
    }
    expect(await pool.candidates('messages', 'm')).toHaveLength(0); // other provider
    expect(table.queries).toBe(1);
  });

  it('never sends a credential to a base URL it was not sealed for', async () => {
    const a = row('a', 'sk-aaaa');
    table.rows = [a];
    expect(await pool.candidates('chat.completions', 'm')).toHaveLength(1);

    // Pointed elsewhere behind the admin API's back (a database write): it no longer opens,
    // and the copy already open is not carried over to the new destination.
    table.rows = [{ ...a, baseUrl: 'https://collector.example/v1' }];
    await pool.changed(a.id);
    expect(await pool.candidates('chat.completions', 'm')).toHaveLength(0);

    table.rows = [a];
    await pool.changed(a.id);
    expect(await pool.candidates('chat.completions', 'm')).toHaveLength(1);
  });

  it('still opens a credential sealed before binding, by its account id', async () => {
    const legacy = row('legacy', 'sk-legacy');
    legacy.sealedCredential = sealCredential(
      'sk-legacy',
      sealingKey,
      `upstream-account:${legacy.id}`,
    ).replace(/^v2\./, 'v1.');
    table.rows = [legacy];
    const found = await pool.candidates('chat.completions', 'm');
    expect(found.map((x) => x.credential.toString())).toEqual(['sk-legacy']);
  });

  it('drops a changed account and zeroes its credential before the reload answers', async () => {
    const a = row('a', 'sk-aaaa');
    table.rows = [a, row('b', 'sk-bbbb')];
    const before = await pool.candidates('chat.completions', 'm');
    const opened = before.find((x) => x.id === a.id);
    expect(opened?.credential.toString()).toBe('sk-aaaa');

    table.hold = true;
    table.rows = [table.rows[1]]; // a paused
    const reload = pool.changed(a.id);
    expect(opened?.retired).toBe(true);
    expect(opened?.credential.every((byte) => byte === 0)).toBe(true);
    const during = await pool.candidates('chat.completions', 'm');
    expect(during.map((x) => x.name)).toEqual(['b']);
    table.release();
    await reload;
    expect((await pool.candidates('chat.completions', 'm')).map((x) => x.name)).toEqual(['b']);
  });

  it('does not let a reload that read the rows before a change bring the account back', async () => {
    const a = row('a', 'sk-old');
    table.rows = [a];
    await pool.candidates('chat.completions', 'm');

    table.hold = true;
    const stale = pool.reload(); // reads the old row ...
    table.rows = [{ ...a, sealedCredential: sealAccountCredential('sk-new', sealingKey, a) }];
    const changed = pool.changed(a.id); // ... then the credential is replaced
    table.release(); // the stale read answers first: the account stays out
    await stale;
    expect(await pool.candidates('chat.completions', 'm')).toHaveLength(0);
    await flush();
    table.release(); // the reload queued by the broadcast reads the new row
    await changed;
    const found = await pool.candidates('chat.completions', 'm');
    expect(found.map((x) => x.credential.toString())).toEqual(['sk-new']);
  });

  it('keeps opened credentials across refreshes when nothing changed', async () => {
    table.rows = [row('a', 'sk-a')];
    const [first] = await pool.candidates('chat.completions', 'm');
    await pool.reload();
    const [second] = await pool.candidates('chat.completions', 'm');
    expect(second).toBe(first);
    expect(first?.retired).toBe(false);
    expect(table.queries).toBe(2);
  });

  it('waits for a running reload only when no account serves the model', async () => {
    table.rows = [row('a', 'sk-a', ['m'])];
    await pool.candidates('chat.completions', 'm');
    table.hold = true;
    table.rows = [...table.rows, row('new', 'sk-new', ['m-new'])];
    const reload = pool.changed(randomUUID()); // an account was created
    const served = pool.candidates('chat.completions', 'm'); // does not wait
    expect((await served).map((x) => x.name)).toEqual(['a']);
    const waiting = pool.candidates('chat.completions', 'm-new');
    table.release();
    await reload;
    expect((await waiting).map((x) => x.name)).toEqual(['new']);
  });
});
