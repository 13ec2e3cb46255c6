import type { BudgetLimits } from '@gatehouse/budgets';

/** What the gateway knows of a verified client key: everything but its secret. */
export type ClientKey = {
  id: string;
  name: string | null;
  prefix: string;
  allowedModels: string[];
  requestsPerMinute: number | null;
  /** Token, request and cost budgets (see libs/budgets). */
  budgets: BudgetLimits;
  /** Personal data in prompts; null: the configured default (PII_DEFAULT_POLICY). */
  piiPolicy: 'off' | 'mask' | 'block' | null;
  /** Requests in flight at once; null: the configured default. */
  maxConcurrent: number | null;
  /** Addresses and CIDRs requests must come from; empty: any. */
  allowedIps: string[];
  /** Whether a client address is in `allowedIps` (compiled once per key). */
  allowsAddress: (clientIp: string) => boolean;
  expiresAt: Date | null;
  revokedAt: Date | null;
};

export type Principal = { kind: 'admin' } | { kind: 'client'; key: ClientKey };

/** A key may be used while it is neither revoked nor past its expiry. */
export function isKeyUsable(
  key: Pick<ClientKey, 'revokedAt' | 'expiresAt'>,
  now: number = Date.now(),
): boolean {
  return !key.revokedAt && !(key.expiresAt && key.expiresAt.getTime() <= now);
}
