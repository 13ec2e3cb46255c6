import { createHmac } from 'node:crypto';
import { sameInConstantTime } from '@gatehouse/crypto';
import { canonicalJson } from './canonical-json.js';
import { type ChainedFields, hmacChainHash } from './chain.js';

/** Where the keyed chain starts: rows up to `legacy_last_seq` were linked with plain SHA-256. */
export type ChainStart = { legacy_last_seq: string; legacy_last_hash: string };

/** The newest link of the chain at `signed_at`, as the audit app vouches for it. */
export type ChainHead = { seq: string; hash: string; signed_at: string };

const HEAD_TOKEN = /^ah1\.(\d{1,19})\.([0-9a-f]{64})\.(\d{1,16})\.([0-9a-f]{64})$/;

/**
 * The keys derived from AUDIT_CHAIN_KEY, one per purpose, so a value made for one purpose (a
 * signed head) can never pass for another (a chain link). Only the audit app holds the secret:
 * whoever else can write the database cannot make a link, a start marker or a head that verifies.
 */
export class ChainKeys {
  private readonly linkKey: Buffer;
  private readonly startKey: Buffer;
  private readonly headKey: Buffer;

  constructor(secret: string) {
    const derive = (purpose: string) =>
      createHmac('sha256', secret).update(`gatehouse.audit.${purpose}.v1`).digest();
    this.linkKey = derive('link');
    this.startKey = derive('chain-start');
    this.headKey = derive('head');
  }

  link(prevHash: string, fields: ChainedFields): string {
    return hmacChainHash(this.linkKey, prevHash, fields);
  }

  startMac(start: ChainStart): string {
    return mac(this.startKey, canonicalJson(start));
  }

  startMacMatches(start: ChainStart, given: string): boolean {
    return sameInConstantTime(this.startMac(start), given);
  }

  /** `ah1.<seq>.<hash>.<signed at, ms>.<mac>`: URL-safe, so it can be passed back as a query. */
  headToken(head: ChainHead): string {
    const body = `ah1.${head.seq}.${head.hash}.${Date.parse(head.signed_at)}`;
    return `${body}.${mac(this.headKey, body)}`;
  }

  /** The head a token carries, or undefined when it is malformed or this key did not sign it. */
  readHeadToken(token: string): ChainHead | undefined {
    const m = HEAD_TOKEN.exec(token);
    if (!m) return undefined;
    const [, seq = '', hash = '', ms = '', given = ''] = m;
    if (!sameInConstantTime(mac(this.headKey, `ah1.${seq}.${hash}.${ms}`), given)) return undefined;
    return { seq, hash, signed_at: new Date(Number(ms)).toISOString() };
  }
}

function mac(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}
