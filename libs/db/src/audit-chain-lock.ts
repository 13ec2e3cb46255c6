/**
 * Every write to the audit chain (an ingest batch, a retention run) happens in one transaction
 * that first takes this transaction-scoped advisory lock, so only one writer at a time reads
 * the chain's tail and appends to it. Shared by the audit app and the retention function that
 * migration 1765000000000 creates. A fixed number, distinct from the migration lock.
 */
export const AUDIT_CHAIN_LOCK_ID = 7_310_451_923;
