import {
  ChainKeys,
  firstBrokenLink,
  GENESIS_HASH,
  legacyChainHash,
  type LinkHash,
  pickChained,
  type StoredLink,
} from '@gatehouse/audit';
import type {
  CheckpointView,
  HeadCheck,
  SignedHead,
  VerifyJobData,
  VerifyResult,
} from '@gatehouse/queue';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { readChainStart } from '../chain/chain-start.js';

/** Rows read per round trip while verifying: bounded memory whatever the table's size. */
const VERIFY_PAGE_SIZE = 5_000;

type CheckpointRecord = {
  last_deleted_seq: string;
  last_deleted_hash: string;
  deleted_count: string;
  created_at: Date;
};

/** A checkpoint next to what its retention.run event recorded (nulls: no such event). */
type CheckpointMatch = {
  last_deleted_seq: string;
  last_deleted_hash: string;
  deleted_count: string;
  event_seq: string | null;
  recorded_hash: string | null;
  recorded_count: string | null;
};

/**
 * Checks the chain with the chain key (only this app holds it): every link from the latest
 * checkpoint on, the marker where keyed links begin, each checkpoint against the retention.run
 * event that recorded it, and optionally that the chain still reaches a head stored elsewhere.
 * Everything is read in one read-only snapshot, so concurrent writes and retention runs cannot
 * make a sound chain look broken.
 */
@Injectable()
export class ChainVerifier {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ChainKeys,
  ) {}

  async verify(job: VerifyJobData = {}): Promise<VerifyResult> {
    return this.dataSource.transaction('REPEATABLE READ', async (em) => {
      await em.query('SET TRANSACTION READ ONLY');
      const checkpoint = await latestCheckpoint(em);
      const base: VerifyResult = {
        ok: true,
        problem: null,
        checked: 0,
        legacy_checked: 0,
        from_checkpoint: checkpoint ? toCheckpointView(checkpoint) : null,
        last_seq: null,
        last_hash: checkpoint?.last_deleted_hash ?? GENESIS_HASH,
      };
      const expected =
        job.expect_head === undefined ? undefined : this.keys.readHeadToken(job.expect_head);
      if (job.expect_head !== undefined && !expected) {
        return { ...base, ok: false, problem: 'head_unverifiable' };
      }

      // No marker: this version never appended, so every row is a legacy SHA-256 link.
      const start = await readChainStart(em);
      if (
        start &&
        !this.keys.startMacMatches(
          { legacy_last_seq: start.legacy_last_seq, legacy_last_hash: start.legacy_last_hash },
          start.mac,
        )
      ) {
        return { ...base, ok: false, problem: 'chain_start_invalid' };
      }
      const legacyLast = start ? BigInt(start.legacy_last_seq) : undefined;
      const isLegacy = (seq: string) => legacyLast === undefined || BigInt(seq) <= legacyLast;
      const linkHash: LinkHash = (row, prev) =>
        isLegacy(row.seq)
          ? legacyChainHash(prev, pickChained(row))
          : this.keys.link(prev, pickChained(row));

      let after = checkpoint?.last_deleted_seq ?? '0';
      let prevHash = base.last_hash;
      let headHash: string | undefined;
      const result = { ...base };
      for (;;) {
        const rows: StoredLink[] = await em.query(
          `SELECT seq::text AS seq, event_id, type, at, actor, key_id, request_id, ip, method, path,
                  data, bodies_hash, prev_hash, hash
             FROM audit_events e
            WHERE e.seq > $1::bigint
            ORDER BY e.seq
            LIMIT $2`,
          [after, VERIFY_PAGE_SIZE],
        );
        const broken = firstBrokenLink(rows, prevHash, linkHash);
        const good = broken
          ? rows.slice(
              0,
              rows.findIndex((r) => r.seq === broken.seq),
            )
          : rows;
        result.checked += good.length;
        result.legacy_checked += good.filter((r) => isLegacy(r.seq)).length;
        if (expected) headHash ??= good.find((r) => r.seq === expected.seq)?.hash;
        if (broken) {
          const row = rows[good.length];
          return {
            ...result,
            ok: false,
            problem: 'broken_link',
            first_broken_seq: broken.seq,
            first_broken_event_id: row?.event_id ?? '',
          };
        }
        const last = rows[rows.length - 1];
        if (last) {
          prevHash = last.hash;
          after = last.seq;
          result.last_seq = last.seq;
          result.last_hash = last.hash;
        }
        if (rows.length < VERIFY_PAGE_SIZE) break;
      }

      if (!(await this.checkpointsMatchTheirEvents(em, checkpoint))) {
        return { ...result, ok: false, problem: 'checkpoint_unmatched' };
      }
      if (expected) {
        const head = headStatus(expected.seq, expected.hash, headHash, checkpoint);
        result.expected_head = head;
        if (head.status === 'missing') return { ...result, ok: false, problem: 'head_missing' };
        if (head.status === 'changed') return { ...result, ok: false, problem: 'head_changed' };
      }
      return result;
    });
  }

  /** The newest link (or, on an empty chain, where it will continue), signed. */
  async head(): Promise<SignedHead> {
    return this.dataSource.transaction('REPEATABLE READ', async (em) => {
      const [last] = await em.query<{ seq: string; hash: string }[]>(
        `SELECT e.seq::text AS seq, e.hash FROM audit_events e ORDER BY e.seq DESC LIMIT 1`,
      );
      const checkpoint = await latestCheckpoint(em);
      const tail = last ?? {
        seq: checkpoint?.last_deleted_seq ?? '0',
        hash: checkpoint?.last_deleted_hash ?? GENESIS_HASH,
      };
      const head = { seq: tail.seq, hash: tail.hash, signed_at: new Date().toISOString() };
      return { ...head, token: this.keys.headToken(head) };
    });
  }

  /**
   * A checkpoint says where the chain now starts; only the retention.run event written in the
   * same transaction, itself a keyed link, vouches for it. The latest checkpoint's event must be
   * in the chain (a later run has not deleted it yet); an older one's, if still there, must agree.
   */
  private async checkpointsMatchTheirEvents(
    em: EntityManager,
    latest: CheckpointRecord | undefined,
  ): Promise<boolean> {
    if (!latest) return true;
    const rows = await em.query<CheckpointMatch[]>(
      `SELECT c.last_deleted_seq::text AS last_deleted_seq, c.last_deleted_hash,
              c.deleted_count::text AS deleted_count, e.seq::text AS event_seq,
              e.data->'checkpoint'->>'last_deleted_hash' AS recorded_hash,
              e.data->>'deleted_events' AS recorded_count
         FROM audit_checkpoints c
         LEFT JOIN audit_events e
           ON e.type = 'retention.run'
          AND e.data->'checkpoint'->>'last_deleted_seq' = c.last_deleted_seq::text
          AND e.seq > c.last_deleted_seq`,
    );
    for (const row of rows) {
      if (row.event_seq === null) {
        if (row.last_deleted_seq === latest.last_deleted_seq) return false;
        continue;
      }
      if (row.recorded_hash !== row.last_deleted_hash || row.recorded_count !== row.deleted_count) {
        return false;
      }
    }
    return true;
  }
}

function headStatus(
  seq: string,
  hash: string,
  found: string | undefined,
  checkpoint: CheckpointRecord | undefined,
): HeadCheck {
  if (checkpoint && BigInt(seq) <= BigInt(checkpoint.last_deleted_seq)) {
    if (seq === checkpoint.last_deleted_seq && hash !== checkpoint.last_deleted_hash) {
      return { seq, status: 'changed' };
    }
    return { seq, status: 'removed_by_retention' };
  }
  if (found === undefined) {
    return { seq, status: seq === '0' && hash === GENESIS_HASH ? 'present' : 'missing' };
  }
  return { seq, status: found === hash ? 'present' : 'changed' };
}

async function latestCheckpoint(em: EntityManager): Promise<CheckpointRecord | undefined> {
  const rows: CheckpointRecord[] = await em.query(
    `SELECT last_deleted_seq::text AS last_deleted_seq, last_deleted_hash,
            deleted_count::text AS deleted_count, created_at
       FROM audit_checkpoints c
      ORDER BY c.last_deleted_seq DESC, c.id DESC
      LIMIT 1`,
  );
  return rows[0];
}

function toCheckpointView(c: CheckpointRecord): CheckpointView {
  return {
    last_deleted_seq: c.last_deleted_seq,
    last_deleted_hash: c.last_deleted_hash,
    deleted_count: c.deleted_count,
    created_at: c.created_at.toISOString(),
  };
}
