import type { BudgetLimits } from '@gatehouse/budgets';
import type { ApiKey } from '@gatehouse/db';

/** A key's budget limits as its columns hold them (cost in US cents). */
export function budgetLimitsOf(key: ApiKey): BudgetLimits {
  return {
    tokens_per_minute: key.tokensPerMinute,
    tokens_per_day: key.tokensPerDay,
    requests_per_day: key.requestsPerDay,
    cost_per_day: key.costPerDayCents,
    cost_per_month: key.costPerMonthCents,
  };
}

/** What the admin API shows of a key. Built field by field: hashes can never slip in. */
export type KeyView = BudgetLimits & {
  id: string;
  name: string | null;
  prefix: string;
  allowed_models: string[];
  requests_per_minute: number | null;
  max_concurrent: number | null;
  pii_policy: 'off' | 'mask' | 'block' | null;
  allowed_ips: string[];
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  previous_secret_expires_at: string | null;
  status: 'active' | 'expired' | 'revoked';
  created_at: string;
  updated_at: string;
};

export function toKeyView(key: ApiKey, now = new Date()): KeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    allowed_models: key.allowedModels,
    requests_per_minute: key.requestsPerMinute,
    ...budgetLimitsOf(key),
    max_concurrent: key.maxConcurrent,
    pii_policy: key.piiPolicy,
    allowed_ips: key.allowedIps,
    expires_at: iso(key.expiresAt),
    revoked_at: iso(key.revokedAt),
    last_used_at: iso(key.lastUsedAt),
    previous_secret_expires_at:
      key.previousKeyExpiresAt && key.previousKeyExpiresAt > now
        ? iso(key.previousKeyExpiresAt)
        : null,
    status: key.revokedAt
      ? 'revoked'
      : key.expiresAt && key.expiresAt <= now
        ? 'expired'
        : 'active',
    created_at: key.createdAt.toISOString(),
    updated_at: key.updatedAt.toISOString(),
  };
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}
