import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** `GET /api/v1/admin/usage`: UTC days, both bounds inclusive; group by one or more dimensions. */
export class UsageQuery {
  @IsOptional()
  @Matches(DAY, { message: 'since must be a day, YYYY-MM-DD' })
  since?: string;

  @IsOptional()
  @Matches(DAY, { message: 'until must be a day, YYYY-MM-DD' })
  until?: string;

  @IsOptional()
  @IsUUID()
  key_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  /** `day`, `key`, `model`, or a comma-separated combination (e.g. `key,model`). Default `day`. */
  @IsOptional()
  @Matches(/^(day|key|model)(,(day|key|model)){0,2}$/, {
    message: 'group_by must be day, key, model or a comma-separated combination of them',
  })
  group_by?: string;
}
