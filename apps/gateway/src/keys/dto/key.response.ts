import type { BudgetName } from '@gatehouse/budgets';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { pageOf } from '../../openapi/page-of.js';
import type { KeyView } from '../key-view.js';
import type { MeBudget, MeView } from '../me.controller.js';
import type { KeyWithSecret } from '../keys.service.js';

const nullableInt = (description?: string) =>
  ApiProperty({ type: 'integer', nullable: true, ...(description ? { description } : {}) });
const nullableTime = () => ApiProperty({ type: String, format: 'date-time', nullable: true });

/** What is shared by the admin view of a key and the key's own view of itself. */
class KeyLimitsResponse {
  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ example: 'gk_1a2b3c4d', description: 'The non-secret start of the key' })
  prefix!: string;

  @ApiProperty({ type: [String], description: 'Models the key may use; empty: all' })
  allowed_models!: string[];

  @nullableInt('null: the gateway default')
  requests_per_minute!: number | null;

  @nullableInt()
  tokens_per_minute!: number | null;

  @nullableInt()
  tokens_per_day!: number | null;

  @nullableInt()
  requests_per_day!: number | null;

  @nullableInt('US cents')
  cost_per_day!: number | null;

  @nullableInt('US cents')
  cost_per_month!: number | null;

  @nullableInt('null: the gateway default')
  max_concurrent!: number | null;

  @ApiProperty({ type: [String], description: 'Addresses and CIDRs; empty: any' })
  allowed_ips!: string[];

  @nullableTime()
  expires_at!: string | null;
}

export class KeyResponse extends KeyLimitsResponse implements KeyView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ['off', 'mask', 'block'], nullable: true })
  pii_policy!: 'off' | 'mask' | 'block' | null;

  @nullableTime()
  revoked_at!: string | null;

  @nullableTime()
  last_used_at!: string | null;

  @nullableTime()
  previous_secret_expires_at!: string | null;

  @ApiProperty({ enum: ['active', 'expired', 'revoked'] })
  status!: 'active' | 'expired' | 'revoked';

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class KeyWithSecretResponse extends KeyResponse implements KeyWithSecret {
  @ApiProperty({ description: 'The secret key: shown in this response only' })
  key!: string;
}

export const KeyPageResponse = pageOf(KeyResponse, 'KeyPageResponse');

export class MeBudgetResponse implements MeBudget {
  @ApiProperty({ type: 'integer' })
  limit!: number;

  @ApiProperty({ type: 'integer' })
  used!: number;

  @ApiProperty({ type: 'integer' })
  remaining!: number;

  @ApiProperty({ type: 'integer', description: 'Seconds until the budget resets' })
  reset_seconds!: number;
}

/** One entry per budget the key has. */
class MeBudgetsResponse implements Partial<Record<BudgetName, MeBudget>> {
  @ApiPropertyOptional({ type: MeBudgetResponse })
  tokens_per_minute?: MeBudget;

  @ApiPropertyOptional({ type: MeBudgetResponse })
  tokens_per_day?: MeBudget;

  @ApiPropertyOptional({ type: MeBudgetResponse })
  requests_per_day?: MeBudget;

  @ApiPropertyOptional({ type: MeBudgetResponse, description: 'US cents' })
  cost_per_day?: MeBudget;

  @ApiPropertyOptional({ type: MeBudgetResponse, description: 'US cents' })
  cost_per_month?: MeBudget;
}

export class MeResponse extends KeyLimitsResponse implements MeView {
  @ApiProperty({ format: 'uuid' })
  key_id!: string;

  @ApiProperty({
    type: MeBudgetsResponse,
    description: 'The budgets the key has, each in its current UTC period',
  })
  budgets!: MeView['budgets'];
}
