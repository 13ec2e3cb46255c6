import {
  AccountTuning,
  BaseUrlRules,
  CredentialRules,
  NameRules,
  ProviderRules,
} from './account-fields.js';

export class CreateAccountDto extends AccountTuning {
  @NameRules()
  name!: string;

  @ProviderRules()
  provider!: 'openai' | 'anthropic';

  @BaseUrlRules()
  base_url!: string;

  /** Write-only: sealed at once, never returned or logged. */
  @CredentialRules()
  credential!: string;
}
