import { ApiProperty } from '@nestjs/swagger';
import type { ModelList } from '../models.controller.js';

class ModelResponse {
  @ApiProperty({ example: 'gpt-4o-mini' })
  id!: string;

  @ApiProperty({ enum: ['model'] })
  object!: 'model';

  @ApiProperty({ type: 'integer' })
  created!: number;

  @ApiProperty({ description: 'The provider that serves it, or gatehouse' })
  owned_by!: string;
}

/** `GET /v1/models` in OpenAI's shape. */
export class ModelListResponse implements ModelList {
  @ApiProperty({ enum: ['list'] })
  object!: 'list';

  @ApiProperty({ type: [ModelResponse] })
  data!: ModelResponse[];
}
