import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class RotateKeyDto {
  /** How long the old secret keeps working, so clients can switch without downtime. */
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 30 * 24 * 3600 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * 24 * 3600)
  grace_seconds?: number;
}
