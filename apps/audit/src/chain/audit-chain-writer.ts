import { ChainKeys, GENESIS_HASH } from '@gatehouse/audit';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { DeadLetter, PreparedEvent } from '../ingest/audit-event-preparer.js';
import { AuditMetrics } from '../metrics/audit-metrics.js';
import { upsertUsage } from '../usage/usage-rollup.js';
import { lockChain } from './chain-lock.js';
import { ensureChainStart } from './chain-start.js';

export type AppendResult = { inserted: number; duplicates: number; deadLetters: number };

/**
 * Appends events to the HMAC chain. One call is one transaction: lock the chain, read its
 * tail, drop events already stored or already deleted by retention (a redelivered job), link
 * the rest in order with the chain key, insert them with a single statement, add their usage
 * and the dead letters, commit. Either all of it is stored or none of it, so the caller may
 * simply retry a failed call.
 */
@Injectable()
export class AuditChainWriter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ChainKeys,
    private readonly metrics: AuditMetrics,
  ) {}

  async write(
    events: readonly PreparedEvent[],
    deadLetters: readonly DeadLetter[] = [],
  ): Promise<AppendResult> {
    const result = await this.dataSource.transaction(async (manager) => {
      await lockChain(manager);
      return this.appendLocked(manager, events, deadLetters);
    });
    this.metrics.stored(result.inserted, result.deadLetters); // committed
    return result;
  }

  /** For a caller that already holds the chain lock in `manager`'s transaction (retention). */
  async appendLocked(
    manager: EntityManager,
    events: readonly PreparedEvent[],
    deadLetters: readonly DeadLetter[] = [],
  ): Promise<AppendResult> {
    const fresh = await this.withoutStored(manager, events);
    if (fresh.length > 0) {
      // One primary-key read per batch; not cached, since a rolled-back batch takes the marker
      // it wrote with it.
      await ensureChainStart(manager, this.keys);
      let prev = await this.tail(manager);
      const rows = fresh.map((event, i) => {
        const hash = this.keys.link(prev, event.fields);
        const row = { i, ...event.fields, bodies: event.bodies, prev_hash: prev, hash };
        prev = hash;
        return row;
      });
      // One statement for the whole batch, whatever its size (one parameter, no 65535 limit).
      // Rows are inserted in `i` order, so seq (bigserial) follows the chain.
      await manager.query(
        `INSERT INTO audit_events
           (event_id, type, at, actor, key_id, request_id, ip, method, path, data, bodies, bodies_hash, prev_hash, hash)
         SELECT r.event_id, r.type, r.at, r.actor, r.key_id, r.request_id, r.ip, r.method, r.path,
                r.data, r.bodies, r.bodies_hash, r.prev_hash, r.hash
           FROM jsonb_to_recordset($1::jsonb) AS r(
             i int, event_id uuid, type text, at text, actor text, key_id uuid, request_id text, ip text,
             method text, path text, data jsonb, bodies jsonb, bodies_hash text, prev_hash text, hash text)
          ORDER BY r.i`,
        [JSON.stringify(rows)],
      );
      await upsertUsage(manager, fresh);
    }
    if (deadLetters.length > 0) {
      // A dead letter redelivered (stored, but the job not yet marked done) is not stored twice.
      await manager.query(
        `INSERT INTO audit_dead_letters (job_id, reason, payload)
         SELECT r.job_id, r.reason, r.payload
           FROM jsonb_to_recordset($1::jsonb) AS r(job_id text, reason text, payload jsonb)
          WHERE r.job_id IS NULL
             OR NOT EXISTS (SELECT 1 FROM audit_dead_letters d WHERE d.job_id = r.job_id)`,
        [JSON.stringify(deadLetters.map((d) => ({ ...d, payload: d.payload ?? null })))],
      );
    }
    return {
      inserted: fresh.length,
      duplicates: events.length - fresh.length,
      deadLetters: deadLetters.length,
    };
  }

  /** The hash the next row links to: the last row's, else the last checkpoint's, else genesis. */
  private async tail(manager: EntityManager): Promise<string> {
    const [last] = await manager.query<{ hash: string }[]>(
      `SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1`,
    );
    if (last) return last.hash;
    const [checkpoint] = await manager.query<{ last_deleted_hash: string }[]>(
      `SELECT last_deleted_hash FROM audit_checkpoints ORDER BY last_deleted_seq DESC, id DESC LIMIT 1`,
    );
    return checkpoint?.last_deleted_hash ?? GENESIS_HASH;
  }

  /**
   * Events not stored yet, each id once (the first occurrence wins). An event retention has
   * deleted counts as stored: its redelivery must not bring it back at the end of the chain.
   */
  private async withoutStored(
    manager: EntityManager,
    events: readonly PreparedEvent[],
  ): Promise<PreparedEvent[]> {
    if (events.length === 0) return [];
    const ids = [...new Set(events.map((e) => e.fields.event_id))];
    const stored = await manager.query<{ event_id: string }[]>(
      `SELECT event_id FROM audit_events WHERE event_id = ANY($1::uuid[])
       UNION ALL
       SELECT event_id FROM audit_deleted_events WHERE event_id = ANY($1::uuid[])`,
      [ids],
    );
    const seen = new Set(stored.map((r) => r.event_id));
    const fresh: PreparedEvent[] = [];
    for (const event of events) {
      if (seen.has(event.fields.event_id)) continue;
      seen.add(event.fields.event_id);
      fresh.push(event);
    }
    return fresh;
  }
}
