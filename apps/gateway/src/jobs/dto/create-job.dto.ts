import type { ProxyEndpoint } from '@gatehouse/queue';
import { IsIn, IsObject } from 'class-validator';

export const JOB_ENDPOINTS = ['chat.completions', 'messages'] as const satisfies ProxyEndpoint[];

/** `POST /api/v1/jobs`: which endpoint to call and the body it would get synchronously. */
export class CreateJobDto {
  @IsIn(JOB_ENDPOINTS, { message: `endpoint must be one of: ${JOB_ENDPOINTS.join(', ')}` })
  endpoint!: ProxyEndpoint;

  /** Validated against the endpoint's own schema by ProxyRequestPolicy, not here. */
  @IsObject({ message: 'body must be a JSON object' })
  body!: Record<string, unknown>;
}
