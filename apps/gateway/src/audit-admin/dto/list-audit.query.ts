import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { PageQuery } from '../../pagination/page.query.js';

/** `GET /api/v1/admin/audit`: filters, newest first, cursor pagination. */
export class ListAuditQuery extends PageQuery {
  @ApiPropertyOptional({
    type: String,
    pattern: '^[a-z][a-z0-9_.-]{0,63}$',
    example: 'key.created',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_.-]{0,63}$/, {
    message: 'type must be an event type such as key.created',
  })
  type?: string;

  @ApiPropertyOptional({ type: String, format: 'uuid' })
  @IsOptional()
  @IsUUID()
  key_id?: string;

  /** Inclusive lower bound on the event's time (`at`), ISO 8601. */
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  /** Exclusive upper bound on the event's time (`at`), ISO 8601. */
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;

  /** Bodies are large and sensitive even redacted: shown only when asked for. */
  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'include_bodies must be true or false' })
  include_bodies?: 'true' | 'false';
}
