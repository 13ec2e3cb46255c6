import { DEFAULT_PRICES, type ModelPrice, priceFor } from '@gatehouse/budgets';
import { Module } from '@nestjs/common';
import { BudgetPlanner } from './budget-plan.js';
import { BudgetReconciler } from './budget-reconciler.js';
import { BudgetReservations } from './budget-reservations.js';
import { BudgetStatus } from './budget-status.js';
import { PriceLookup } from './price-lookup.js';

const DEFAULTS = new Map<string, ModelPrice>(Object.entries(DEFAULT_PRICES));

/** Budgets: what a request reserves, where a key stands, and reservations nobody settled. */
@Module({
  providers: [
    BudgetPlanner,
    BudgetReservations,
    BudgetStatus,
    BudgetReconciler,
    { provide: PriceLookup, useValue: { priceOf: (model: string) => priceFor(model, DEFAULTS) } },
  ],
  exports: [BudgetPlanner, BudgetReservations, BudgetStatus, PriceLookup],
})
export class BudgetsModule {}
