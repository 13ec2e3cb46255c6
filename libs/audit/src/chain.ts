import { createHash, createHmac } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** prev_hash of the first event ever written. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hashed content of a stored audit event (bodies enter only through their own hash). */
export type ChainedFields = {
  event_id: string;
  type: string;
  at: string;
  actor: string;
  key_id: string | null;
  request_id: string | null;
  ip: string | null;
  method: string | null;
  path: string | null;
  data: unknown;
  /** SHA-256 of the canonical bodies, or null: bodies may be deleted early and the chain holds. */
  bodies_hash: string | null;
};

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The link of chains written before AUDIT_CHAIN_KEY existed: hash = SHA-256(prev_hash ||
 * canonical(event)). Anyone who can write the table can recompute it, so it is only checked for
 * the legacy rows before the chain start marker (see ChainKeys), never written any more.
 */
export function legacyChainHash(prevHash: string, fields: ChainedFields): string {
  return sha256Hex(prevHash + canonicalJson(fields));
}

/** hash = HMAC-SHA256(link key, prev_hash || canonical(event)): only the key holder can link. */
export function hmacChainHash(linkKey: Buffer, prevHash: string, fields: ChainedFields): string {
  return createHmac('sha256', linkKey)
    .update(prevHash + canonicalJson(fields))
    .digest('hex');
}

export function bodiesHash(bodies: unknown): string | null {
  return bodies === null || bodies === undefined ? null : sha256Hex(canonicalJson(bodies));
}

export type StoredLink = ChainedFields & { seq: string; prev_hash: string; hash: string };

/** What a row's hash must be, given the hash it links to (legacy or keyed, by position). */
export type LinkHash = (row: StoredLink, prevHash: string) => string;

/**
 * Walks rows in chain order from `startHash` and returns the seq of the first row that does not
 * link (wrong prev_hash) or whose content does not match its hash, or undefined if all hold.
 */
export function firstBrokenLink(
  rows: Iterable<StoredLink>,
  startHash: string,
  linkHash: LinkHash,
): { seq: string; expectedPrevHash: string } | undefined {
  let prev = startHash;
  for (const row of rows) {
    if (row.prev_hash !== prev || linkHash(row, prev) !== row.hash) {
      return { seq: row.seq, expectedPrevHash: prev };
    }
    prev = row.hash;
  }
  return undefined;
}

export function pickChained(row: ChainedFields): ChainedFields {
  return {
    event_id: row.event_id,
    type: row.type,
    at: row.at,
    actor: row.actor,
    key_id: row.key_id,
    request_id: row.request_id,
    ip: row.ip,
    method: row.method,
    path: row.path,
    data: row.data,
    bodies_hash: row.bodies_hash,
  };
}
