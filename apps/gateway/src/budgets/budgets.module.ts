import { Module } from '@nestjs/common';
import { PriceBook } from '../prices/price-book.service.js';
import { PricesModule } from '../prices/prices.module.js';
import { BudgetPlanner } from './budget-plan.js';
import { BudgetReconciler } from './budget-reconciler.js';
import { BudgetReservations } from './budget-reservations.js';
import { BudgetStatus } from './budget-status.js';
import { PriceLookup } from './price-lookup.js';

/** Budgets: what a request reserves, where a key stands, and reservations nobody settled. */
@Module({
  imports: [PricesModule],
  providers: [
    BudgetPlanner,
    BudgetReservations,
    BudgetStatus,
    BudgetReconciler,
    { provide: PriceLookup, useExisting: PriceBook },
  ],
  exports: [BudgetPlanner, BudgetReservations, BudgetStatus, PriceLookup],
})
export class BudgetsModule {}
