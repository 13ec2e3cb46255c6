import { ApiProperty } from '@nestjs/swagger';
import type { PriceSource } from '../price-table.js';
import type { PriceTableView, PriceView } from '../price-view.js';

export class PriceResponse implements PriceView {
  @ApiProperty()
  model!: string;

  @ApiProperty({ description: 'USD per million input tokens' })
  input_per_mtok!: number;

  @ApiProperty({ description: 'USD per million output tokens' })
  output_per_mtok!: number;

  @ApiProperty({ enum: ['default', 'override'] })
  source!: PriceSource;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  updated_at!: string | null;
}

export class PriceTableResponse implements PriceTableView {
  @ApiProperty({ format: 'date', description: 'The date of the default prices' })
  as_of!: string;

  @ApiProperty({ type: [PriceResponse] })
  data!: PriceResponse[];
}
