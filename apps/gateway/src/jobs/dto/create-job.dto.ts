import { ApiProperty } from '@nestjs/swagger';
import type { ProxyEndpoint } from '@gatehouse/queue';
import { IsIn, IsObject } from 'class-validator';

export const JOB_ENDPOINTS = ['chat.completions', 'messages'] as const satisfies ProxyEndpoint[];

/** `POST /api/v1/jobs`: which endpoint to call and the body it would get synchronously. */
export class CreateJobDto {
  @ApiProperty({ enum: JOB_ENDPOINTS })
  @IsIn(JOB_ENDPOINTS, { message: `endpoint must be one of: ${JOB_ENDPOINTS.join(', ')}` })
  endpoint!: ProxyEndpoint;

  /** Validated against the endpoint's own schema by ProxyRequestPolicy, not here. */
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The body the endpoint would get synchronously',
  })
  @IsObject({ message: 'body must be a JSON object' })
  body!: Record<string, unknown>;
}
