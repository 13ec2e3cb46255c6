import type { UpstreamAccount } from '@gatehouse/db';

/**
 * What the admin API shows of an upstream account. Built field by field: neither the
 * credential nor its sealed form can slip in; only the id of the key it is sealed under.
 */
export type AccountView = {
  id: string;
  name: string;
  provider: 'openai' | 'anthropic';
  base_url: string;
  models: string[];
  weight: number;
  priority: number;
  status: 'active' | 'paused';
  credential_set: true;
  credential_key_id: string;
  /** Lists only: when a rate-limit cooldown ends (null: none, or Redis could not say). */
  cooldown_until?: string | null;
  created_at: string;
  updated_at: string;
};

export function toAccountView(account: UpstreamAccount): AccountView {
  return {
    id: account.id,
    name: account.name,
    provider: account.provider,
    base_url: account.baseUrl,
    models: account.models,
    weight: account.weight,
    priority: account.priority,
    status: account.status,
    credential_set: true,
    credential_key_id: account.credentialKeyId,
    created_at: account.createdAt.toISOString(),
    updated_at: account.updatedAt.toISOString(),
  };
}
