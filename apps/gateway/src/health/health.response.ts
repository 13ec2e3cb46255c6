import { ApiProperty } from '@nestjs/swagger';
import type { Readiness } from './readiness.service.js';

export class LivenessResponse {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}

class ReadinessChecksResponse {
  @ApiProperty({ enum: ['up', 'down'] })
  postgres!: 'up' | 'down';

  @ApiProperty({ enum: ['up', 'down'] })
  redis!: 'up' | 'down';
}

export class ReadinessResponse implements Readiness {
  @ApiProperty({ enum: ['ready', 'unavailable'] })
  status!: string;

  @ApiProperty()
  ready!: boolean;

  @ApiProperty({ type: ReadinessChecksResponse })
  checks!: ReadinessChecksResponse;

  @ApiProperty({ format: 'date-time' })
  checked_at!: string;
}
