import type { RetentionSummary, SignedHead } from '@gatehouse/queue';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { pageOf } from '../../openapi/page-of.js';
import type { AuditEventView, DeadLetterView } from '../audit-view.js';

const nullableString = (description?: string) =>
  ApiProperty({ type: String, nullable: true, ...(description ? { description } : {}) });

class AuditRequestResponse {
  @nullableString()
  request_id!: string | null;

  @nullableString()
  ip!: string | null;

  @nullableString()
  method!: string | null;

  @nullableString()
  path!: string | null;
}

/** A stored, redacted audit event. */
export class AuditEventResponse implements AuditEventView {
  @ApiProperty({ description: 'Position in the chain (a decimal string)' })
  seq!: string;

  @ApiProperty()
  event_id!: string;

  @ApiProperty({ example: 'key.created' })
  type!: string;

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ format: 'date-time' })
  recorded_at!: string;

  @ApiProperty()
  actor!: string;

  @nullableString()
  key_id!: string | null;

  @ApiProperty({ type: AuditRequestResponse, nullable: true })
  request!: AuditRequestResponse | null;

  @ApiProperty({ type: 'object', additionalProperties: true })
  data!: Record<string, unknown>;

  @ApiProperty()
  has_bodies!: boolean;

  @ApiPropertyOptional({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description: 'Only with include_bodies=true',
  })
  bodies?: Record<string, unknown> | null;

  @nullableString()
  bodies_hash!: string | null;

  @ApiProperty()
  prev_hash!: string;

  @ApiProperty()
  hash!: string;
}

export const AuditPageResponse = pageOf(AuditEventResponse, 'AuditPageResponse');

export class DeadLetterResponse implements DeadLetterView {
  @ApiProperty()
  id!: string;

  @nullableString()
  job_id!: string | null;

  @ApiProperty()
  reason!: string;

  @ApiProperty({ description: 'The refused event, redacted' })
  payload!: unknown;

  @ApiProperty({ format: 'date-time' })
  received_at!: string;
}

export const DeadLetterPageResponse = pageOf(DeadLetterResponse, 'DeadLetterPageResponse');

/** The chain check's report; see docs for `problem`, `expected_head` and checkpoints. */
export class VerifyResultResponse {
  @ApiProperty()
  ok!: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: [
      'broken_link',
      'checkpoint_unmatched',
      'chain_start_invalid',
      'head_unverifiable',
      'head_missing',
      'head_changed',
    ],
  })
  problem!: string | null;

  @ApiPropertyOptional()
  first_broken_seq?: string;

  @ApiPropertyOptional()
  first_broken_event_id?: string;

  @ApiProperty({ type: 'integer' })
  checked!: number;

  @ApiProperty({ type: 'integer' })
  legacy_checked!: number;

  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true })
  from_checkpoint!: Record<string, unknown> | null;

  @nullableString()
  last_seq!: string | null;

  @ApiProperty()
  last_hash!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  expected_head?: Record<string, unknown>;
}

export class SignedHeadResponse implements SignedHead {
  @ApiProperty()
  seq!: string;

  @ApiProperty()
  hash!: string;

  @ApiProperty({ format: 'date-time' })
  signed_at!: string;

  @ApiProperty({ description: 'Store off the server; pass as expect_head to audit/verify' })
  token!: string;
}

class RetentionCheckpointResponse {
  @ApiProperty()
  last_deleted_seq!: string;

  @ApiProperty()
  last_deleted_hash!: string;
}

export class RetentionSummaryResponse implements RetentionSummary {
  @ApiProperty({ type: 'integer' })
  deleted_events!: number;

  @ApiProperty({ type: 'integer' })
  deleted_bodies!: number;

  @ApiProperty({ type: 'integer' })
  deleted_job_results!: number;

  @ApiProperty({ type: RetentionCheckpointResponse, nullable: true })
  checkpoint!: RetentionCheckpointResponse | null;

  @ApiProperty({ format: 'date-time' })
  ran_at!: string;
}

export class RetentionQueuedResponse {
  @ApiProperty()
  job_id!: string;

  @ApiProperty({ enum: ['queued'] })
  status!: 'queued';
}
