import { type ChainKeys, type ChainStart, GENESIS_HASH } from '@gatehouse/audit';
import type { EntityManager } from 'typeorm';

type StartRow = ChainStart & { mac: string };

/**
 * Where the keyed chain begins. Versions before AUDIT_CHAIN_KEY linked rows with plain SHA-256;
 * the first time this version appends (under the chain lock), it records the tail it found as
 * the last legacy link, with a MAC, so verification knows exactly which rows are legacy and an
 * attacker cannot move that line without the key. On a new database the line is at genesis.
 */
export async function ensureChainStart(
  manager: EntityManager,
  keys: ChainKeys,
): Promise<ChainStart> {
  const existing = await readChainStart(manager);
  if (existing) return existing;
  const [last] = await manager.query<{ seq: string; hash: string }[]>(
    `SELECT e.seq::text AS seq, e.hash FROM audit_events e ORDER BY e.seq DESC LIMIT 1`,
  );
  const [checkpoint] = await manager.query<{ seq: string; hash: string }[]>(
    `SELECT last_deleted_seq::text AS seq, last_deleted_hash AS hash
       FROM audit_checkpoints ORDER BY last_deleted_seq DESC, id DESC LIMIT 1`,
  );
  const tail = last ?? checkpoint ?? { seq: '0', hash: GENESIS_HASH };
  const start: ChainStart = { legacy_last_seq: tail.seq, legacy_last_hash: tail.hash };
  await manager.query(
    `INSERT INTO audit_chain_start (legacy_last_seq, legacy_last_hash, mac) VALUES ($1, $2, $3)`,
    [start.legacy_last_seq, start.legacy_last_hash, keys.startMac(start)],
  );
  return start;
}

export async function readChainStart(manager: EntityManager): Promise<StartRow | undefined> {
  const [row] = await manager.query<StartRow[]>(
    `SELECT legacy_last_seq::text AS legacy_last_seq, legacy_last_hash, mac FROM audit_chain_start`,
  );
  return row;
}
