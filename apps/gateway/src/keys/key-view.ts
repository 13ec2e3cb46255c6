import type { ApiKey } from '@gatehouse/db';

/** What the admin API shows of a key. Built field by field: hashes can never slip in. */
export type KeyView = {
  id: string;
  name: string | null;
  prefix: string;
  allowed_models: string[];
  requests_per_minute: number | null;
  tokens_per_day: number | null;
  max_concurrent: number | null;
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
    tokens_per_day: key.tokensPerDay,
    max_concurrent: key.maxConcurrent,
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
