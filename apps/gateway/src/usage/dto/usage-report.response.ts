import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { UsageCounts, UsageDimension, UsageReport } from '../usage-view.js';

class UsageCountsResponse implements UsageCounts {
  @ApiProperty({ type: 'integer' })
  requests!: number;

  @ApiProperty({ type: 'integer' })
  errors!: number;

  @ApiProperty({ type: 'integer' })
  tokens_in!: number;

  @ApiProperty({ type: 'integer' })
  tokens_out!: number;

  @ApiProperty({ description: 'USD; requests no price applied to count 0' })
  cost_usd!: number;
}

class UsageGroupResponse extends UsageCountsResponse {
  @ApiPropertyOptional({ format: 'date' })
  day?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  key_id?: string;

  @ApiPropertyOptional()
  model?: string;
}

export class UsageReportResponse implements UsageReport {
  @ApiProperty({ enum: ['day', 'key', 'model'], isArray: true })
  group_by!: UsageDimension[];

  @ApiProperty({ type: String, format: 'date', nullable: true })
  since!: string | null;

  @ApiProperty({ type: String, format: 'date', nullable: true })
  until!: string | null;

  @ApiProperty({ type: [UsageGroupResponse] })
  data!: UsageGroupResponse[];

  @ApiProperty({ type: UsageCountsResponse, description: 'Over every matching rollup' })
  totals!: UsageCountsResponse;

  @ApiProperty({ description: 'data was cut at its maximum number of groups' })
  truncated!: boolean;
}
