import type { AsyncJobStatus } from '@gatehouse/db';
import { ApiProperty } from '@nestjs/swagger';
import { pageOf } from '../../openapi/page-of.js';
import type { JobSummary, JobView } from '../job-view.js';
import type { JobAccepted } from '../jobs.controller.js';
import { JOB_STATUSES } from './list-jobs.query.js';

export class JobAcceptedResponse implements JobAccepted {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: JOB_STATUSES })
  status!: string;
}

class JobUsageResponse {
  @ApiProperty({ type: 'integer' })
  input!: number;

  @ApiProperty({ type: 'integer' })
  output!: number;
}

export class JobSummaryResponse implements JobSummary {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: JOB_STATUSES })
  status!: AsyncJobStatus;

  @ApiProperty({ enum: ['chat.completions', 'messages'] })
  endpoint!: string;

  @ApiProperty()
  model!: string;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  started_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completed_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at!: string | null;

  @ApiProperty()
  result_truncated!: boolean;

  @ApiProperty({ type: 'integer', nullable: true })
  upstream_status!: number | null;

  @ApiProperty({ type: JobUsageResponse, nullable: true })
  usage!: JobUsageResponse | null;
}

export class JobResponse extends JobSummaryResponse implements JobView {
  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description: "The provider's answer, once completed",
  })
  result!: object | null;

  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true })
  error!: Record<string, unknown> | null;
}

export const JobPageResponse = pageOf(JobSummaryResponse, 'JobPageResponse');
