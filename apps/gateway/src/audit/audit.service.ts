import { firstBrokenLink, GENESIS_HASH, type StoredLink } from '@gatehouse/audit';
import { BadRequestException, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  type AuditEventRecord,
  type AuditEventView,
  type DeadLetterRecord,
  type DeadLetterView,
  toAuditEventView,
  toDeadLetterView,
} from './audit-view.js';
import { decodeCursor, decodeSeqCursor, encodeCursor } from '../pagination/cursor.js';
import type { ListAuditQuery } from './dto/list-audit.query.js';

export type AuditPage = { data: AuditEventView[]; next_cursor: string | null };
export type DeadLetterPage = { data: DeadLetterView[]; next_cursor: string | null };

export type CheckpointView = {
  last_deleted_seq: string;
  last_deleted_hash: string;
  deleted_count: string;
  created_at: string;
};

export type VerifyResult =
  | {
      ok: true;
      checked: number;
      from_checkpoint: CheckpointView | null;
      /** The newest verified link: anchor it elsewhere to detect a truncated tail later. */
      last_seq: string | null;
      last_hash: string;
    }
  | {
      ok: false;
      first_broken_seq: string;
      first_broken_event_id: string;
      checked: number;
      from_checkpoint: CheckpointView | null;
    };

/** Rows read per round trip while verifying: bounded memory whatever the table's size. */
const VERIFY_PAGE_SIZE = 5_000;

type CheckpointRecord = {
  last_deleted_seq: string;
  last_deleted_hash: string;
  deleted_count: string;
  created_at: Date;
};

/** The admin's read side of the audit trail. The audit app is the only writer. */
@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  async list(query: ListAuditQuery): Promise<AuditPage> {
    const limit = query.limit ?? 50;
    const includeBodies = query.include_bodies === 'true';
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.type) where.push(`type = ${param(query.type)}`);
    if (query.key_id) where.push(`key_id = ${param(query.key_id)}`);
    // `at` holds the producer's toISOString(), so ISO strings of the same shape compare as times.
    if (query.since) where.push(`at >= ${param(isoInstant(query.since, 'since'))}`);
    if (query.until) where.push(`at < ${param(isoInstant(query.until, 'until'))}`);
    if (query.cursor) where.push(`e.seq < ${param(decodeSeqCursor(query.cursor))}::bigint`);

    // Output columns are cast to text (bigint precision); order by the table's own columns.
    const rows: AuditEventRecord[] = await this.dataSource.query(
      `SELECT seq::text AS seq, event_id, type, at, recorded_at, actor, key_id, request_id, ip, method,
              path, data, bodies IS NOT NULL AS has_bodies, ${includeBodies ? 'bodies,' : ''}
              bodies_hash, prev_hash, hash
         FROM audit_events e
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY e.seq DESC
        LIMIT ${param(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((row) => toAuditEventView(row, includeBodies)),
      next_cursor: rows.length > limit && last ? encodeCursor(String(last.seq)) : null,
    };
  }

  /**
   * Walks the whole chain in seq order, from the latest retention checkpoint (or the genesis
   * hash), in keyset pages, inside one read-only snapshot so that a retention run or writes
   * happening meanwhile cannot make a sound chain look broken.
   */
  async verify(): Promise<VerifyResult> {
    return this.dataSource.transaction('REPEATABLE READ', async (em) => {
      await em.query('SET TRANSACTION READ ONLY');
      const checkpoint = await latestCheckpoint(em);
      const fromCheckpoint = checkpoint ? toCheckpointView(checkpoint) : null;
      let after = checkpoint?.last_deleted_seq ?? '0';
      let prevHash = checkpoint?.last_deleted_hash ?? GENESIS_HASH;
      let lastSeq: string | null = null;
      let checked = 0;
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
        const broken = firstBrokenLink(rows, prevHash);
        if (broken) {
          const index = rows.findIndex((r) => r.seq === broken.seq);
          return {
            ok: false as const,
            first_broken_seq: broken.seq,
            first_broken_event_id: rows[index]?.event_id ?? '',
            checked: checked + index,
            from_checkpoint: fromCheckpoint,
          };
        }
        const last = rows[rows.length - 1];
        if (last) {
          checked += rows.length;
          prevHash = last.hash;
          after = last.seq;
          lastSeq = last.seq;
        }
        if (rows.length < VERIFY_PAGE_SIZE) break;
      }
      return {
        ok: true as const,
        checked,
        from_checkpoint: fromCheckpoint,
        last_seq: lastSeq,
        last_hash: prevHash,
      };
    });
  }

  async deadLetters(limit = 50, cursor?: string): Promise<DeadLetterPage> {
    const params: unknown[] = [limit + 1];
    let where = '';
    if (cursor) {
      const [receivedAt, id] = decodeCursor(cursor, 2);
      const date = new Date(receivedAt ?? '');
      if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(date.getTime())) {
        throw new BadRequestException('Invalid cursor');
      }
      params.push(date.toISOString(), id);
      // Cursors carry milliseconds (JS dates); order and compare at that precision too.
      where = `WHERE (date_trunc('milliseconds', received_at), id) < ($2::timestamptz, $3::uuid)`;
    }
    const rows: DeadLetterRecord[] = await this.dataSource.query(
      `SELECT id, job_id, reason, payload, received_at
         FROM audit_dead_letters
        ${where}
        ORDER BY date_trunc('milliseconds', received_at) DESC, id DESC
        LIMIT $1`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map(toDeadLetterView),
      next_cursor:
        rows.length > limit && last ? encodeCursor(last.received_at.toISOString(), last.id) : null,
    };
  }
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

/** Normalises an ISO 8601 filter to the UTC `toISOString()` form the `at` column holds. */
function isoInstant(value: string, name: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new BadRequestException(`${name} must be an ISO 8601 time`);
  return date.toISOString();
}
