import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Usage rolled up per key, model and UTC day as request.completed events are stored. */
@Entity({ name: 'usage_daily' })
export class UsageDaily {
  @PrimaryColumn({ type: 'date' })
  day!: string;

  @PrimaryColumn({ name: 'key_id', type: 'uuid' })
  keyId!: string;

  @PrimaryColumn({ type: 'varchar', length: 200 })
  model!: string;

  @Column({ type: 'bigint', default: 0 })
  requests!: string;

  @Column({ type: 'bigint', default: 0 })
  errors!: string;

  @Column({ name: 'tokens_in', type: 'bigint', default: 0 })
  tokensIn!: string;

  @Column({ name: 'tokens_out', type: 'bigint', default: 0 })
  tokensOut!: string;

  /** What the requests cost in µUSD; 0 for requests no price applied to. */
  @Column({ name: 'cost_micros', type: 'bigint', default: 0 })
  costMicros!: string;
}
