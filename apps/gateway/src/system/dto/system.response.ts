import { QueueName } from '@gatehouse/queue';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class DependencyHealthResponse {
  @ApiProperty()
  up!: boolean;

  @ApiProperty({ type: 'integer', nullable: true })
  latency_ms!: number | null;

  @ApiPropertyOptional()
  version?: string;

  @ApiPropertyOptional()
  error?: string;
}

const probe = (description: string) =>
  ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: `${description}; \`available: false\` with an \`error\` when it could not be read`,
  });

export class SystemHealthResponse {
  @ApiProperty({ enum: ['ok', 'degraded'] })
  status!: 'ok' | 'degraded';

  @ApiProperty({ format: 'date-time' })
  checked_at!: string;

  @ApiProperty({ type: DependencyHealthResponse })
  postgres!: DependencyHealthResponse;

  @ApiProperty({ type: DependencyHealthResponse })
  redis!: DependencyHealthResponse;

  @ApiProperty({
    type: 'object',
    description: `Per queue (${Object.values(QueueName).join(', ')}): counts by state and live workers`,
    additionalProperties: { type: 'object', additionalProperties: true },
  })
  queues!: Record<string, unknown>;

  @probe('Audit jobs (producer batches of events) waiting to be written, and the age of the oldest')
  audit_lag!: Record<string, unknown>;
}

export class DiskUsageResponse {
  @ApiProperty({ format: 'date-time' })
  checked_at!: string;

  @probe('The database size and its largest tables')
  database!: Record<string, unknown>;

  @probe("Redis's memory use and eviction policy")
  redis!: Record<string, unknown>;

  @probe("Postgres's data directory and its filesystem, when visible")
  data_directory!: Record<string, unknown>;

  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true })
  gateway_filesystem!: Record<string, unknown> | null;
}
