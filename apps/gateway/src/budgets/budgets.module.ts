import { Module } from '@nestjs/common';
import { PricesModule } from '../prices/prices.module.js';
import { BudgetPlanner } from './budget-plan.js';
import { BudgetReconciler } from './budget-reconciler.js';
import { BudgetReservations } from './budget-reservations.js';
import { BudgetStatus } from './budget-status.js';

/** Budgets: what a request reserves, where a key stands, and reservations nobody settled. */
@Module({
  imports: [PricesModule],
  providers: [BudgetPlanner, BudgetReservations, BudgetStatus, BudgetReconciler],
  exports: [BudgetPlanner, BudgetReservations, BudgetStatus, PricesModule],
})
export class BudgetsModule {}
