import { BadRequestException, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type AuditEventRecord,
  type AuditEventView,
  type DeadLetterRecord,
  type DeadLetterView,
  toAuditEventView,
  toDeadLetterView,
} from './audit-view.js';
import {
  decodeSeqCursor,
  decodeTimeCursor,
  encodeCursor,
  encodeTimeCursor,
} from '../pagination/cursor.js';
import { keysetPage, type Page } from '../pagination/keyset-page.js';
import type { ListAuditQuery } from './dto/list-audit.query.js';

export type AuditPage = Page<AuditEventView>;
export type DeadLetterPage = Page<DeadLetterView>;

/**
 * The admin's read side of the audit trail. The audit app is the only writer, and the only one
 * that can verify the chain (ChainChecks relays that).
 */
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
    return keysetPage(
      rows,
      limit,
      (row) => toAuditEventView(row, includeBodies),
      (last) => encodeCursor(String(last.seq)),
    );
  }

  async deadLetters(limit = 50, cursor?: string): Promise<DeadLetterPage> {
    const params: unknown[] = [limit + 1];
    let where = '';
    if (cursor) {
      const { createdAt: receivedAt, id } = decodeTimeCursor(cursor);
      params.push(receivedAt.toISOString(), id);
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
    return keysetPage(rows, limit, toDeadLetterView, (last) =>
      encodeTimeCursor(last.received_at, last.id),
    );
  }
}

/** Normalises an ISO 8601 filter to the UTC `toISOString()` form the `at` column holds. */
function isoInstant(value: string, name: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new BadRequestException(`${name} must be an ISO 8601 time`);
  return date.toISOString();
}
