/**
 * Jobs on `audit-maintenance` that answer the admin API from the audit app, the one process
 * holding AUDIT_CHAIN_KEY: the gateway asks and relays, and can neither check nor forge a link.
 * Names live in Redis: never rename one.
 */
export const VERIFY_JOB_NAME = 'audit.verify';
export const HEAD_JOB_NAME = 'audit.head';

export type VerifyJobData = {
  /** A head token from `audit/head`, stored elsewhere: is the chain still at least that long? */
  expect_head?: string;
};

export type CheckpointView = {
  last_deleted_seq: string;
  last_deleted_hash: string;
  deleted_count: string;
  created_at: string;
};

/** What became of the expected head. Only `present` and `removed_by_retention` are fine. */
export type HeadCheck = {
  seq: string;
  status: 'present' | 'removed_by_retention' | 'missing' | 'changed';
};

export type VerifyProblem =
  /** A row does not link to the one before it, or its content does not match its hash. */
  | 'broken_link'
  /** A retention checkpoint has no matching retention.run event in the chain. */
  | 'checkpoint_unmatched'
  /** The marker where the keyed chain starts was not written with this chain key. */
  | 'chain_start_invalid'
  /** expect_head is not a head this audit app signed. */
  | 'head_unverifiable'
  /** The chain no longer reaches the expected head: its tail was cut off. */
  | 'head_missing'
  /** The row at the expected head's seq has another hash. */
  | 'head_changed';

export type VerifyResult = {
  ok: boolean;
  problem: VerifyProblem | null;
  first_broken_seq?: string;
  first_broken_event_id?: string;
  /** Rows whose links hold, from the latest checkpoint (or genesis) on. */
  checked: number;
  /** Of them, rows linked with plain SHA-256 before the chain key existed (weaker: see docs). */
  legacy_checked: number;
  from_checkpoint: CheckpointView | null;
  /** The newest verified link: `audit/head` signs it for storing off the server. */
  last_seq: string | null;
  last_hash: string;
  expected_head?: HeadCheck;
};

/** The chain's newest link, signed with a key derived from AUDIT_CHAIN_KEY. */
export type SignedHead = { seq: string; hash: string; signed_at: string; token: string };
