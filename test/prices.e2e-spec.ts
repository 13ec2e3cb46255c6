import { DEFAULT_PRICES, DEFAULT_PRICES_AS_OF } from '@gatehouse/budgets';
import type { AuditEvent } from '@gatehouse/queue';
import type { Queue } from 'bullmq';
import type pg from 'pg';
import request from 'supertest';
import { createKey } from './support/admin-client.js';
import { auditQueue, dbClient, queuedAuditEvents } from './support/audit-kit.js';
import { clientAs, migrateAsOwner, roleUrl, sqlState } from './support/db-roles.js';
import { type SpawnedApp, spawnGateway, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import type { PriceTableView, PriceView } from '../apps/gateway/src/prices/price-view.js';

const PATH = '/api/v1/admin/prices';
const INSUFFICIENT_PRIVILEGE = '42501';

type Entry = { model: string; input_per_mtok: number; output_per_mtok: number };

/** The defaults as GET shows them with no override: sorted by name (code units). */
const DEFAULT_ROWS: PriceView[] = Object.entries(DEFAULT_PRICES)
  .map(([model, p]) => ({
    model,
    input_per_mtok: p.input,
    output_per_mtok: p.output,
    source: 'default' as const,
    updated_at: null,
  }))
  .sort((a, b) => (a.model < b.model ? -1 : 1));

/**
 * The price table's admin API on two gateway replicas sharing Postgres and Redis: one migrates
 * the database itself (as superuser, like `npm start`), the other logs in as the gateway's own
 * role after the owner has re-applied the grants (as compose). A change made on either is
 * served at once by it and, through the prices.changed broadcast, by the other.
 */
describe('model prices: defaults, overrides, and every replica on the same table', () => {
  let env: TestEnv;
  let first: SpawnedApp & { url: string };
  let second: SpawnedApp & { url: string };
  let audit: Queue;
  let owner: pg.Client;

  const get = (gw: { url: string }, key = env.adminKey) =>
    request(gw.url).get(PATH).set('x-api-key', key);
  const put = (gw: { url: string }, body: unknown, key = env.adminKey) =>
    request(gw.url)
      .put(PATH)
      .set('x-api-key', key)
      .send(body as object);
  const table = async (gw: { url: string }): Promise<PriceTableView> =>
    (await get(gw).expect(200)).body as PriceTableView;
  const row = (t: PriceTableView, model: string) => t.data.find((r) => r.model === model);
  const overrideRows = async () =>
    (
      await owner.query<{ model: string; i: string; o: string }>(
        'SELECT model, input_per_mtok::text AS i, output_per_mtok::text AS o FROM model_prices ORDER BY model COLLATE "C"',
      )
    ).rows;

  /** prices.updated events waiting on the audit queue (no audit app runs here). */
  async function priceEvents(): Promise<AuditEvent[]> {
    return (await queuedAuditEvents(audit)).filter((event) => event.type === 'prices.updated');
  }

  /** The prices.updated event the request that got `res` queued (matched by request id). */
  async function auditOf(res: request.Response): Promise<AuditEvent> {
    const requestId = res.headers['x-request-id'];
    let mine: AuditEvent[] = [];
    // Events are queued in small batches: wait for this one.
    await waitFor(async () => {
      mine = (await priceEvents()).filter((e) => e.request?.request_id === requestId);
      return mine.length > 0;
    }, 5_000);
    expect(mine).toHaveLength(1);
    return mine[0];
  }

  beforeAll(async () => {
    env = await createTestEnv();
    // A fresh database: this gateway migrates it, and must load its prices only after that.
    first = await spawnGateway(env.env);
    // As compose's migrate service: the owner re-applies every role's grants from nothing.
    await migrateAsOwner(env.env);
    second = await spawnGateway({
      ...env.env,
      DATABASE_URL: roleUrl(env.database.url, 'gateway'),
      DB_RUN_MIGRATIONS: 'false',
    });
    audit = auditQueue(env.redisPrefix);
    owner = await dbClient(env.database.url);
  });

  afterAll(async () => {
    await audit?.close();
    await owner?.end();
    await Promise.all([first?.stop(), second?.stop()]);
    await env?.cleanup();
  });

  afterEach(async () => {
    await put(first, { prices: [] }).expect(200);
    for (const gw of [first, second]) {
      expect(gw.child.exitCode === null && gw.child.signalCode === null).toBe(true);
    }
  });

  it('is admin-only: 401 without a key, 403 with a client key, for reading and writing', async () => {
    const { key } = await createKey(first.url, env.adminKey);
    const anonymous = await request(first.url).get(PATH).expect(401);
    expect(anonymous.body.error.type).toBe('authentication_error');
    await request(first.url).put(PATH).send({ prices: [] }).expect(401);
    const client = await get(first, key).expect(403);
    expect(client.body.error.type).toBe('permission_denied');
    const entry = { model: 'gpt-4o', input_per_mtok: 0, output_per_mtok: 0 };
    await put(first, { prices: [entry] }, key).expect(403);
    expect(await overrideRows()).toEqual([]);
  });

  it('lists the defaults, sorted by model, with the date they were checked', async () => {
    const listed = await table(first);
    expect(listed.as_of).toBe(DEFAULT_PRICES_AS_OF);
    expect(listed.data).toEqual(DEFAULT_ROWS);
    expect(listed.data.length).toBeGreaterThan(20);
  });

  it('overrides a default and adds a model, serving the new table from the next request on', async () => {
    const entries: Entry[] = [
      { model: 'gpt-4o', input_per_mtok: 1.25, output_per_mtok: 5 },
      { model: 'llama-3-70b', input_per_mtok: 0.59, output_per_mtok: 0.79 },
      // 200 characters, as Postgres counts them for the column's CHECK.
      { model: 'é'.repeat(200), input_per_mtok: 0, output_per_mtok: 0.1 },
    ];
    const before = Date.now();
    const res = await put(first, { prices: entries }).expect(200);
    const body = res.body as PriceTableView;
    expect(body.as_of).toBe(DEFAULT_PRICES_AS_OF);

    const gpt4o = row(body, 'gpt-4o');
    expect(gpt4o).toMatchObject({ input_per_mtok: 1.25, output_per_mtok: 5, source: 'override' });
    const setAt = Date.parse(gpt4o?.updated_at ?? '');
    expect(setAt).toBeGreaterThanOrEqual(before - 1_000);
    expect(setAt).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(row(body, 'llama-3-70b')).toMatchObject({
      input_per_mtok: 0.59,
      output_per_mtok: 0.79,
      source: 'override',
    });
    expect(row(body, 'é'.repeat(200))?.source).toBe('override');
    // Everything else is still the defaults, and the list stays sorted.
    expect(row(body, 'gpt-4o-mini')).toEqual(DEFAULT_ROWS.find((r) => r.model === 'gpt-4o-mini'));
    expect(body.data).toHaveLength(DEFAULT_ROWS.length + 2);
    const models = body.data.map((r) => r.model);
    expect(models).toEqual([...models].sort((a, b) => (a < b ? -1 : 1)));

    // The replica that made the change already serves it: GET reads the same in-memory table.
    expect(await table(first)).toEqual(body);
    expect(await overrideRows()).toEqual([
      { model: 'gpt-4o', i: '1.25', o: '5' },
      { model: 'llama-3-70b', i: '0.59', o: '0.79' },
      { model: 'é'.repeat(200), i: '0', o: '0.1' },
    ]);

    const restored = await put(first, { prices: [] }).expect(200);
    expect(restored.body).toEqual({ as_of: DEFAULT_PRICES_AS_OF, data: DEFAULT_ROWS });
    expect(await table(first)).toEqual(restored.body);
    expect(await overrideRows()).toEqual([]);
  });

  it('audits each replacement as prices.updated: what was set or repriced, what was removed', async () => {
    const a = { model: 'model-a', input_per_mtok: 1, output_per_mtok: 2 };
    const b = { model: 'model-b', input_per_mtok: 3, output_per_mtok: 4 };
    const c = { model: 'model-c', input_per_mtok: 5, output_per_mtok: 6 };
    const firstPut = await put(first, { prices: [a, b] }).expect(200);
    const added = await auditOf(firstPut);
    expect(added.data).toEqual({ set: [a, b], removed: [] });
    expect(added).toMatchObject({ actor: 'admin', request: { method: 'PUT', path: PATH } });

    // a again at the same price, b repriced, c new: only b and c were set.
    const repriced = { ...b, output_per_mtok: 4.5 };
    const secondPut = await put(first, {
      prices: [a, repriced, c],
    }).expect(200);
    expect((await auditOf(secondPut)).data).toEqual({ set: [repriced, c], removed: [] });
    // An unchanged override keeps the time it was set.
    const setAt = (res: request.Response) => row(res.body as PriceTableView, 'model-a')?.updated_at;
    expect(setAt(secondPut)).toBe(setAt(firstPut));
    expect(setAt(secondPut)).toEqual(expect.any(String));

    const thirdPut = await put(first, { prices: [c] }).expect(200);
    expect((await auditOf(thirdPut)).data).toEqual({ set: [], removed: ['model-a', 'model-b'] });
  });

  const valid = { model: 'gpt-4o', input_per_mtok: 1, output_per_mtok: 2 };
  it.each<[string, unknown, string]>([
    [
      'a model listed twice',
      { prices: [valid, { ...valid, input_per_mtok: 3 }] },
      'prices lists a model more than once: "gpt-4o"',
    ],
    [
      'a negative price',
      { prices: [{ ...valid, input_per_mtok: -0.01 }] },
      'prices.0.input_per_mtok must not be less than 0',
    ],
    [
      'a price above 10000',
      { prices: [{ ...valid, output_per_mtok: 10_000.5 }] },
      'prices.0.output_per_mtok must not be greater than 10000',
    ],
    [
      'a price given as a string',
      { prices: [{ ...valid, output_per_mtok: '2' }] },
      'prices.0.output_per_mtok must be a number (USD per million tokens)',
    ],
    [
      'a name of 201 characters',
      { prices: [{ ...valid, model: 'm'.repeat(201) }] },
      'prices.0.model must be 1 to 200 characters, without control characters',
    ],
    [
      'a name of 202 code points that is 101 characters with variation selectors',
      { prices: [{ ...valid, model: '\u2603\uFE0F'.repeat(101) }] },
      'prices.0.model must be 1 to 200 characters',
    ],
    ['an empty name', { prices: [{ ...valid, model: '' }] }, 'prices.0.model must be 1 to 200'],
    [
      'a control character in a name',
      { prices: [{ ...valid, model: 'gpt-4o\u001b[31m' }] },
      'without control characters',
    ],
    [
      'a missing price',
      { prices: [{ model: 'x', input_per_mtok: 1 }] },
      'prices.0.output_per_mtok must be a number',
    ],
    [
      'an unknown field',
      { prices: [{ ...valid, currency: 'EUR' }] },
      'property currency should not exist',
    ],
    ['no list', {}, 'prices must be an array'],
    [
      'an entry that is not an object',
      { prices: [null] },
      'each value in nested property prices must be either object or array',
    ],
    [
      'more than 1000 entries',
      {
        prices: Array.from({ length: 1_001 }, (_, i) => ({ ...valid, model: `m-${i}` })),
      },
      'prices must contain no more than 1000 elements',
    ],
  ])('refuses %s with 400 and changes nothing', async (_case, body, message) => {
    const res = await put(first, body).expect(400);
    expect(res.body.error.type).toBe('invalid_request');
    expect(res.body.error.message).toContain(message);
    expect(await overrideRows()).toEqual([]);
    expect((await table(first)).data).toEqual(DEFAULT_ROWS);
  });

  it('takes 1000 entries', async () => {
    const prices = Array.from({ length: 1_000 }, (_, i) => ({
      model: `bulk-${String(i).padStart(4, '0')}`,
      input_per_mtok: i / 100,
      output_per_mtok: 10_000,
    }));
    const res = await put(first, { prices }).expect(200);
    expect((res.body as PriceTableView).data).toHaveLength(DEFAULT_ROWS.length + 1_000);
    expect(row(res.body as PriceTableView, 'bulk-0999')).toMatchObject({ input_per_mtok: 9.99 });
  });

  it('reaches the other replica through the broadcast, whichever of them made the change', async () => {
    const fromFirst = { model: 'replica-test', input_per_mtok: 7, output_per_mtok: 8 };
    await put(first, { prices: [fromFirst] }).expect(200);
    // Well within PRICE_REFRESH_MS (a minute): only the broadcast explains it.
    await waitFor(
      async () => row(await table(second), 'replica-test')?.source === 'override',
      5_000,
    );
    expect(row(await table(second), 'replica-test')).toMatchObject(fromFirst);

    // The second gateway writes as its own database role: its grants cover the replacement.
    const fromSecond = { model: 'gpt-4o', input_per_mtok: 2, output_per_mtok: 9 };
    await put(second, { prices: [fromSecond] }).expect(200);
    await waitFor(async () => row(await table(first), 'replica-test') === undefined, 5_000);
    expect(row(await table(first), 'gpt-4o')).toMatchObject({ ...fromSecond, source: 'override' });
    expect(await table(first)).toEqual(await table(second));
  });

  it('grants the table to the gateway role only', async () => {
    for (const app of ['proxy-worker', 'audit'] as const) {
      const client = await clientAs(env.database.url, app);
      try {
        for (const sql of [
          'SELECT * FROM model_prices',
          "INSERT INTO model_prices (model, input_per_mtok, output_per_mtok) VALUES ('x', 1, 1)",
          'DELETE FROM model_prices',
        ]) {
          expect([app, sql, await sqlState(client, sql)]).toEqual([
            app,
            sql,
            INSUFFICIENT_PRIVILEGE,
          ]);
        }
      } finally {
        await client.end();
      }
    }
    const gateway = await clientAs(env.database.url, 'gateway');
    try {
      expect(await sqlState(gateway, 'SELECT * FROM model_prices')).toBe('ok');
    } finally {
      await gateway.end();
    }
  });
});
