import {
  BUDGET_NAMES,
  type BudgetName,
  type BudgetPeriod,
  type BudgetUnit,
  type LeaseWriter,
  MICROS_PER_CENT,
  type ModelPrice,
  PromptTokenCache,
  budgetCounterKey,
  budgetPeriod,
  budgetUnit,
  costMicros,
  estimatePromptTokens,
  leaseWriter,
  o200kTokens,
  preloadTokenizer,
  requestedOutputCap,
} from '@gatehouse/budgets';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { ENDPOINTS } from '@gatehouse/providers';
import type { BudgetHold, ProxyEndpoint } from '@gatehouse/queue';
import { HttpStatus, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ClientKey } from '../auth/principal.js';
import type { BudgetCounter, BudgetsToCheck } from '../admission/admission-counters.js';
import { TypedHttpException } from '../http/typed-http-exception.js';
import { PriceBook } from '../prices/price-book.service.js';

/** A request that spends: what admission reserves for. */
export type Spending = {
  endpoint: ProxyEndpoint;
  /** The client's body as received (validated after admission; read leniently here). */
  body: unknown;
  requestId: string;
  /** When the reservation lapses if nobody settles it. */
  leaseEndsAt: number;
};

/** One budget of the key, in this request's period. */
export type PlannedBudget = { name: BudgetName; period: BudgetPeriod; limit: number };

/** What admission checks (and reserves) for a key's budgets, and what the job carries. */
export type BudgetPlan = {
  budgets: readonly PlannedBudget[];
  check: BudgetsToCheck;
  /** With a reservation: what the worker settles. */
  hold?: BudgetHold;
  /** Output tokens to send upstream as max_tokens (the request set no cap). */
  outputCap?: number;
  /** Per budget: what this request reserved (for the refusal's message). */
  amounts: readonly number[];
};

/**
 * A key's budgets in the periods current until `until`: the part of a plan that is the same for
 * every request of the key until its shortest period ends (counter keys, limits in counter units,
 * how long a counter is kept, the lease's fixed text), so a request computes only its amounts.
 */
type BudgetFrame = {
  until: number;
  budgets: PlannedBudget[];
  units: BudgetUnit[];
  counters: BudgetCounter[];
  /** The plan of a request that reserves nothing (shared: plans are read, never changed). */
  checkOnly: BudgetPlan;
  writeLease: LeaseWriter;
  /** Any cost budget: the model needs a price. */
  costs: boolean;
  /** Any token or cost budget: the output needs a cap (a request count does not). */
  bounded: boolean;
};

/**
 * Works out, for a key with budgets, which counters a request is checked against and how much it
 * reserves: prompt tokens (estimated) plus its output cap, one request, and their cost at the
 * model's price. The amounts are exact upper bounds the worker later settles to the provider's
 * usage; the refusal, if any, comes from the admission script.
 */
@Injectable()
export class BudgetPlanner implements OnModuleInit {
  /** Per cached key object: a key whose budgets change is read again as a new object. */
  private readonly frames = new WeakMap<ClientKey, BudgetFrame>();
  private readonly promptTokenCache = new PromptTokenCache(o200kTokens);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prices: PriceBook,
  ) {}

  onModuleInit(): void {
    preloadTokenizer(); // a quarter of a second at start, not on a client's first request
  }

  /** Undefined for a key without budgets. Without `spending`: check only, reserve nothing. */
  plan(key: ClientKey, spending?: Spending, now = Date.now()): BudgetPlan | undefined {
    const frame = this.frameOf(key, now);
    if (frame.budgets.length === 0) return undefined;
    const body = isObject(spending?.body) ? spending.body : undefined;
    const model = body?.model;
    // Not a spending request, or one validation will refuse: see that no budget is used up.
    if (!spending || !body || typeof model !== 'string') return frame.checkOnly;

    const provider = ENDPOINTS[spending.endpoint].provider;
    const promptTokens = estimatePromptTokens(
      provider,
      body,
      this.promptTokenCache.counterFor(key.id),
    );
    const ownCap = requestedOutputCap(body);
    const choices = typeof body.n === 'number' && body.n > 1 ? Math.floor(body.n) : 1;
    const outputTokens = ownCap ?? this.config.BUDGET_DEFAULT_MAX_TOKENS * choices;
    const price = frame.costs ? this.priceOf(model) : undefined;
    const amounts = frame.units.map((unit) => {
      switch (unit) {
        case 'tokens':
          return promptTokens + outputTokens;
        case 'requests':
          return 1;
        case 'cost':
          return costMicros({ input: promptTokens, output: outputTokens }, price as ModelPrice);
      }
    });
    const lease = frame.writeLease(spending.requestId, amounts);
    return {
      budgets: frame.budgets,
      check: {
        counters: frame.counters,
        amounts,
        reservation: { lease, leaseEndsAt: spending.leaseEndsAt },
      },
      hold: { lease, promptTokens },
      outputCap:
        ownCap === undefined && frame.bounded ? this.config.BUDGET_DEFAULT_MAX_TOKENS : undefined,
      amounts,
    };
  }

  /** The key's frame for `now`, built when its shortest period has ended (or on first use). */
  private frameOf(key: ClientKey, now: number): BudgetFrame {
    const known = this.frames.get(key);
    if (known && now < known.until) return known;
    const frame = this.buildFrame(key, new Date(now));
    this.frames.set(key, frame);
    return frame;
  }

  private buildFrame(key: ClientKey, now: Date): BudgetFrame {
    const budgets: PlannedBudget[] = [];
    for (const name of BUDGET_NAMES) {
      const limit = key.budgets[name];
      if (limit !== null) budgets.push({ name, period: budgetPeriod(name, now), limit });
    }
    const prefix = this.config.REDIS_KEY_PREFIX;
    const units = budgets.map((b) => budgetUnit(b.name));
    const counters = budgets.map((b, i) => ({
      key: budgetCounterKey(prefix, key.id, b.period),
      limit: units[i] === 'cost' ? b.limit * MICROS_PER_CENT : b.limit,
      keepMs: b.period.keepMs,
    }));
    const zeros = budgets.map(() => 0);
    return {
      // A key without budgets keeps its (empty) frame until the key itself is read again.
      until: Math.min(Infinity, ...budgets.map((b) => b.period.endsAt)),
      budgets,
      units,
      counters,
      checkOnly: { budgets, check: { counters, amounts: zeros }, amounts: zeros },
      writeLease: leaseWriter(
        counters.map((c, i) => ({ key: c.key, unit: units[i] ?? 'tokens', keepMs: c.keepMs })),
      ),
      costs: units.includes('cost'),
      bounded: units.some((u) => u !== 'requests'),
    };
  }

  private priceOf(model: string): ModelPrice {
    const price = this.prices.priceOf(model);
    if (!price) {
      throw new TypedHttpException(
        `This key has a cost budget and model "${model}" has no price; an admin can set one ` +
          'with PUT /api/v1/admin/prices',
        HttpStatus.FORBIDDEN,
        'price_unknown',
      );
    }
    return price;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
