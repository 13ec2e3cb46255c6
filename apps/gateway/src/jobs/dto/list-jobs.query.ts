import { type AsyncJobStatus } from '@gatehouse/db';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const JOB_STATUSES = [
  'queued',
  'active',
  'completed',
  'failed',
] as const satisfies AsyncJobStatus[];

export class ListJobsQuery {
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

  @IsOptional()
  @IsIn(JOB_STATUSES, { message: `status must be one of: ${JOB_STATUSES.join(', ')}` })
  status?: AsyncJobStatus;
}
