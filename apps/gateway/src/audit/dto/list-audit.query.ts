import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

/** `GET /api/v1/admin/audit`: filters, newest first, cursor pagination. */
export class ListAuditQuery {
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_.-]{0,63}$/, {
    message: 'type must be an event type such as key.created',
  })
  type?: string;

  @IsOptional()
  @IsUUID()
  key_id?: string;

  /** Inclusive lower bound on the event's time (`at`), ISO 8601. */
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  /** Exclusive upper bound on the event's time (`at`), ISO 8601. */
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  /** Bodies are large and sensitive even redacted: shown only when asked for. */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'include_bodies must be true or false' })
  include_bodies?: 'true' | 'false';
}
