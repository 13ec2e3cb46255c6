import { ApiProperty } from '@nestjs/swagger';
import { UPSTREAM_PROVIDERS } from '@gatehouse/db';
import {
  AccountTuning,
  BaseUrlRules,
  CredentialRules,
  NameRules,
  ProviderRules,
} from './account-fields.js';

export class CreateAccountDto extends AccountTuning {
  @ApiProperty({ type: String, minLength: 1, maxLength: 200 })
  @NameRules()
  name!: string;

  @ApiProperty({ enum: UPSTREAM_PROVIDERS })
  @ProviderRules()
  provider!: 'openai' | 'anthropic';

  @ApiProperty({
    type: String,
    format: 'uri',
    maxLength: 500,
    example: 'https://api.openai.com/v1',
  })
  @BaseUrlRules()
  base_url!: string;

  /** Write-only: sealed at once, never returned or logged. */
  @ApiProperty({
    type: String,
    writeOnly: true,
    minLength: 1,
    maxLength: 10_000,
    description: 'Sealed at once; never returned',
  })
  @CredentialRules()
  credential!: string;
}
