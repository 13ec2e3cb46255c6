import type { BudgetLimits, BudgetName } from '@gatehouse/budgets';
import { Controller, Get } from '@nestjs/common';
import { CurrentKey } from '../auth/client-key.decorator.js';
import type { ClientKey } from '../auth/principal.js';
import { BudgetStatus } from '../budgets/budget-status.js';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { MeResponse } from './dto/key.response.js';

/** One budget as /api/v1/me shows it: tokens, requests, or US cents for cost. */
export type MeBudget = { limit: number; used: number; remaining: number; reset_seconds: number };

export type MeView = BudgetLimits & {
  key_id: string;
  name: string | null;
  prefix: string;
  allowed_models: string[];
  requests_per_minute: number | null;
  max_concurrent: number | null;
  allowed_ips: string[];
  expires_at: string | null;
  /** The budgets the key has, and what remains of each in its current UTC period. */
  budgets: Partial<Record<BudgetName, MeBudget>>;
};

/** Lets a client check which key it is using, what that key may do and what it has left. */
@ApiTags('client')
@Controller('api/v1/me')
export class MeController {
  constructor(private readonly budgets: BudgetStatus) {}

  @Get()
  @ApiOkResponse({
    type: MeResponse,
    description: 'This key, its limits and what remains of its budgets',
  })
  async me(@CurrentKey() key: ClientKey): Promise<MeView> {
    const budgets: MeView['budgets'] = {};
    for (const state of await this.budgets.of(key)) {
      budgets[state.name] = {
        limit: state.limit,
        used: state.used,
        remaining: state.remaining,
        reset_seconds: state.resetSeconds,
      };
    }
    return {
      key_id: key.id,
      name: key.name,
      prefix: key.prefix,
      allowed_models: key.allowedModels,
      requests_per_minute: key.requestsPerMinute,
      ...key.budgets,
      max_concurrent: key.maxConcurrent,
      allowed_ips: key.allowedIps,
      expires_at: key.expiresAt ? key.expiresAt.toISOString() : null,
      budgets,
    };
  }
}
