import {
  AccountTuning,
  BaseUrlRules,
  CredentialRules,
  NameRules,
  Optional,
} from './account-fields.js';

/** The provider is fixed at creation: a different provider is a different account. */
export class UpdateAccountDto extends AccountTuning {
  @Optional()
  @NameRules()
  name?: string;

  @Optional()
  @BaseUrlRules()
  base_url?: string;

  /** Replaces the credential (sealed again under the current public key). */
  @Optional()
  @CredentialRules()
  credential?: string;
}
