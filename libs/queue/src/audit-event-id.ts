import { createHash } from 'node:crypto';
import type { AuditEventType } from './audit-contract.js';

/**
 * The id of the one `type` event of a piece of work, the same each time it is computed: a job
 * run twice (its worker died after the work, before completing the job) records its outcome
 * once, since the audit app stores an id once. `workId` must be server-made (a proxy job's
 * id), never a value a client chose, or a client could suppress another's record.
 * Shaped as a UUID (the column's type), version nibble 5 (name-based).
 */
export function outcomeEventId(workId: string, type: AuditEventType): string {
  const hex = createHash('sha256').update(`${type}\n${workId}`).digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
