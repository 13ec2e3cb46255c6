import { ApiPropertyOptional } from '@nestjs/swagger';
import { type AsyncJobStatus } from '@gatehouse/db';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../pagination/page.query.js';

export const JOB_STATUSES = [
  'queued',
  'active',
  'completed',
  'failed',
] as const satisfies AsyncJobStatus[];

export class ListJobsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES, { message: `status must be one of: ${JOB_STATUSES.join(', ')}` })
  status?: AsyncJobStatus;
}
