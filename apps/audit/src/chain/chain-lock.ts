import { AUDIT_CHAIN_LOCK_ID } from '@gatehouse/db';
import type { EntityManager } from 'typeorm';

/**
 * Every write to the audit chain (an ingest batch, a retention run) happens in one
 * transaction that first takes this transaction-scoped advisory lock. Several audit replicas
 * may consume the `audit` queue at once, but only one of them at a time can read the chain's
 * tail and append to it, so the chain stays linear: no two rows ever share a prev_hash. The
 * lock is released by COMMIT or ROLLBACK (also when the connection dies), never held over.
 */
export async function lockChain(manager: EntityManager): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK_ID]);
}
