import {
  BUDGET_NAMES,
  type BudgetName,
  type BudgetPeriod,
  MICROS_PER_CENT,
  type ModelPrice,
  budgetCounterKey,
  budgetPeriod,
  budgetUnit,
  costMicros,
  encodeLease,
  estimatePromptTokens,
  preloadTokenizer,
  requestedOutputCap,
} from '@gatehouse/budgets';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { ENDPOINTS } from '@gatehouse/providers';
import type { BudgetHold, ProxyEndpoint } from '@gatehouse/queue';
import { HttpStatus, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ClientKey } from '../auth/principal.js';
import type { BudgetsToCheck } from '../admission/admission-counters.js';
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
  budgets: PlannedBudget[];
  check: BudgetsToCheck;
  /** With a reservation: what the worker settles. */
  hold?: BudgetHold;
  /** Output tokens to send upstream as max_tokens (the request set no cap). */
  outputCap?: number;
  /** Per budget: what this request reserved (for the refusal's message). */
  amounts: number[];
};

/**
 * Works out, for a key with budgets, which counters a request is checked against and how much it
 * reserves: prompt tokens (estimated) plus its output cap, one request, and their cost at the
 * model's price. The amounts are exact upper bounds the worker later settles to the provider's
 * usage; the refusal, if any, comes from the admission script.
 */
@Injectable()
export class BudgetPlanner implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prices: PriceBook,
  ) {}

  onModuleInit(): void {
    preloadTokenizer(); // a quarter of a second at start, not on a client's first request
  }

  /** Undefined for a key without budgets. Without `spending`: check only, reserve nothing. */
  plan(key: ClientKey, spending?: Spending, now = new Date()): BudgetPlan | undefined {
    const budgets: PlannedBudget[] = [];
    for (const name of BUDGET_NAMES) {
      const limit = key.budgets[name];
      if (limit !== null) budgets.push({ name, period: budgetPeriod(name, now), limit });
    }
    if (budgets.length === 0) return undefined;
    const prefix = this.config.REDIS_KEY_PREFIX;
    const counterOf = (b: PlannedBudget, amount: number) => ({
      key: budgetCounterKey(prefix, key.id, b.period),
      limit: budgetUnit(b.name) === 'cost' ? b.limit * MICROS_PER_CENT : b.limit,
      amount,
      keepMs: b.period.keepMs,
    });
    const body = isObject(spending?.body) ? spending.body : undefined;
    const model = body?.model;
    if (!spending || !body || typeof model !== 'string') {
      // Not a spending request, or one validation will refuse: see that no budget is used up.
      return {
        budgets,
        check: { counters: budgets.map((b) => counterOf(b, 0)) },
        amounts: budgets.map(() => 0),
      };
    }

    const provider = ENDPOINTS[spending.endpoint].provider;
    const promptTokens = estimatePromptTokens(provider, body);
    const ownCap = requestedOutputCap(body);
    const choices = typeof body.n === 'number' && body.n > 1 ? Math.floor(body.n) : 1;
    const outputTokens = ownCap ?? this.config.BUDGET_DEFAULT_MAX_TOKENS * choices;
    const price = budgets.some((b) => budgetUnit(b.name) === 'cost')
      ? this.priceOf(model)
      : undefined;
    const amounts = budgets.map((b) => {
      switch (budgetUnit(b.name)) {
        case 'tokens':
          return promptTokens + outputTokens;
        case 'requests':
          return 1;
        case 'cost':
          return costMicros({ input: promptTokens, output: outputTokens }, price as ModelPrice);
      }
    });
    const counters = budgets.map((b, i) => counterOf(b, amounts[i] ?? 0));
    const lease = encodeLease({
      requestId: spending.requestId,
      counters: counters.map((c, i) => ({
        key: c.key,
        unit: budgetUnit(budgets[i]?.name ?? 'tokens_per_day'),
        amount: c.amount,
        keepMs: c.keepMs,
      })),
    });
    // Only a token or cost budget needs the output bounded; a request count does not.
    const bounded = budgets.some((b) => budgetUnit(b.name) !== 'requests');
    return {
      budgets,
      check: { counters, reservation: { lease, leaseEndsAt: spending.leaseEndsAt } },
      hold: { lease, promptTokens },
      outputCap:
        ownCap === undefined && bounded ? this.config.BUDGET_DEFAULT_MAX_TOKENS : undefined,
      amounts,
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
