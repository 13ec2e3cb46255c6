import { DEFAULT_PRICES, type ModelPrice, priceFor } from '@gatehouse/budgets';
import { ModelPriceOverride } from '@gatehouse/db';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { buildPriceTable, type PriceListing, type PriceTable } from './price-table.js';

/**
 * Re-read the overrides this often even without a prices.changed broadcast: a publish that
 * failed (BroadcastPublisher logs and goes on) must not leave a replica on old prices for good.
 */
export const PRICE_REFRESH_MS = 60_000;

/**
 * The effective price table, in memory: the defaults with the `model_prices` overrides laid
 * over them. Lookups never wait for Postgres or Redis; the table is replaced whole by each
 * reload (at start, after a change here, on every replica's prices.changed broadcast, on
 * reconnecting to the broadcasts and every PRICE_REFRESH_MS). A failed reload keeps the last
 * table.
 */
@Injectable()
export class PriceBook implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PriceBook.name);
  /** The defaults until the first load, which happens before the gateway listens. */
  private table: PriceTable = buildPriceTable(DEFAULT_PRICES, []);
  private loading: Promise<void> | undefined;
  private reloadAgain: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectRepository(ModelPriceOverride)
    private readonly overrides: Repository<ModelPriceOverride>,
  ) {}

  /**
   * After DatabaseModule's hook has migrated (PricesModule imports it, and Nest runs the hooks
   * of deeper modules first). A first load that fails stops the start: no default price may
   * silently stand in for an operator's.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch(() => undefined), PRICE_REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** A model's price (exact name, else its longest listed family), or undefined if unknown. */
  priceOf(model: string): ModelPrice | undefined {
    return priceFor(model, this.table.prices);
  }

  /** Every model the table prices, sorted by name. */
  list(): readonly PriceListing[] {
    return this.table.listing;
  }

  /**
   * Reads the overrides again. Concurrent calls are coalesced, but one made while a load runs
   * gets a fresh query after it: the running one may have read the rows before the change that
   * prompted the call. Rejects (and keeps the last table) when the overrides cannot be read.
   */
  reload(): Promise<void> {
    if (!this.loading) {
      this.loading = this.load().finally(() => (this.loading = undefined));
      return this.loading;
    }
    this.reloadAgain ??= this.loading
      .catch(() => undefined)
      .then(() => {
        this.reloadAgain = undefined;
        return this.reload();
      });
    return this.reloadAgain;
  }

  private async load(): Promise<void> {
    try {
      this.table = buildPriceTable(DEFAULT_PRICES, await this.overrides.find());
    } catch (err) {
      this.logger.warn(`could not read the model price overrides: ${(err as Error).message}`);
      throw err;
    }
  }
}
