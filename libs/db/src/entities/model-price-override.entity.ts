import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * An operator's price for a model, in USD per million tokens, laid over the gateway's default
 * table (libs/budgets). The prices are `numeric`: the driver returns them as strings.
 */
@Entity({ name: 'model_prices' })
export class ModelPriceOverride {
  @PrimaryColumn({ type: 'text' })
  model!: string;

  @Column({ name: 'input_per_mtok', type: 'numeric' })
  inputPerMtok!: string;

  @Column({ name: 'output_per_mtok', type: 'numeric' })
  outputPerMtok!: string;

  /** When this model's override was set or last changed. */
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
