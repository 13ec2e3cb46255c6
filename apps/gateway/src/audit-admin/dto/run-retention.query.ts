import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** `POST /api/v1/admin/retention/run?wait_seconds=`: how long to wait for the result (default 30). */
export class RunRetentionQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 30, default: 30 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(30)
  wait_seconds?: number;
}
