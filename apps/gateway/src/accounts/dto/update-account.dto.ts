import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  AccountTuning,
  BaseUrlRules,
  CredentialRules,
  NameRules,
  Optional,
} from './account-fields.js';

/** The provider is fixed at creation: a different provider is a different account. */
export class UpdateAccountDto extends AccountTuning {
  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: 200 })
  @Optional()
  @NameRules()
  name?: string;

  @ApiPropertyOptional({ type: String, format: 'uri', maxLength: 500 })
  @Optional()
  @BaseUrlRules()
  base_url?: string;

  /** Replaces the credential (sealed again under the current public key). */
  @ApiPropertyOptional({
    type: String,
    writeOnly: true,
    minLength: 1,
    maxLength: 10_000,
    description: 'Replaces the credential; never returned',
  })
  @Optional()
  @CredentialRules()
  credential?: string;
}
