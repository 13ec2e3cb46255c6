import { UPSTREAM_ACCOUNT_STATUSES, UPSTREAM_PROVIDERS } from '@gatehouse/db';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { pageOf } from '../../openapi/page-of.js';
import type { AccountView } from '../account-view.js';

/** An upstream account as the admin API shows it: never its credential. */
export class AccountResponse implements AccountView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: UPSTREAM_PROVIDERS })
  provider!: 'openai' | 'anthropic';

  @ApiProperty({ format: 'uri' })
  base_url!: string;

  @ApiProperty({ type: [String] })
  models!: string[];

  @ApiProperty({ type: 'integer' })
  weight!: number;

  @ApiProperty({ type: 'integer' })
  priority!: number;

  @ApiProperty({ enum: UPSTREAM_ACCOUNT_STATUSES })
  status!: 'active' | 'paused';

  @ApiProperty({ enum: [true], description: 'A credential is stored (it is never shown)' })
  credential_set!: true;

  @ApiProperty({ description: 'The id of the key the credential is sealed under' })
  credential_key_id!: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'In lists: when the rate-limit cooldown of the account ends (null: not cooling down, or unknown while Redis is down)',
  })
  cooldown_until?: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export const AccountPageResponse = pageOf(AccountResponse, 'AccountPageResponse');
