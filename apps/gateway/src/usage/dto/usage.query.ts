import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** `GET /api/v1/admin/usage`: UTC days, both bounds inclusive; group by one or more dimensions. */
export class UsageQuery {
  @ApiPropertyOptional({ type: String, format: 'date', description: 'UTC day, inclusive' })
  @IsOptional()
  @Matches(DAY, { message: 'since must be a day, YYYY-MM-DD' })
  since?: string;

  @ApiPropertyOptional({ type: String, format: 'date', description: 'UTC day, inclusive' })
  @IsOptional()
  @Matches(DAY, { message: 'until must be a day, YYYY-MM-DD' })
  until?: string;

  @ApiPropertyOptional({ type: String, format: 'uuid' })
  @IsOptional()
  @IsUUID()
  key_id?: string;

  @ApiPropertyOptional({ type: String, maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  /** `day`, `key`, `model`, or a comma-separated combination (e.g. `key,model`). Default `day`. */
  @ApiPropertyOptional({
    type: String,
    example: 'key,model',
    description: 'day, key, model, or a comma-separated combination',
  })
  @IsOptional()
  @Matches(/^(day|key|model)(,(day|key|model)){0,2}$/, {
    message: 'group_by must be day, key, model or a comma-separated combination of them',
  })
  group_by?: string;
}
