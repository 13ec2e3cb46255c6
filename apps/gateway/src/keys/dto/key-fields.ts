import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  MinDate,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';
import { isNetworkEntry, MAX_ALLOWED_IPS } from '../key-networks.js';

/** An IP address or a CIDR, IPv4 or IPv6. */
function IsNetwork(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNetwork',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isNetworkEntry(value),
        defaultMessage: () =>
          'each value in $property must be an IP address or a CIDR, e.g. 203.0.113.7 or 2001:db8::/64',
      },
    },
    options,
  );
}

/** Field rules shared by create and patch. `null` on patch clears a limit or expiry. */
export class KeyFields {
  @ApiPropertyOptional({ type: String, nullable: true, minLength: 1, maxLength: 200 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @Length(1, 200)
  name?: string | null;

  @ApiPropertyOptional({
    type: [String],
    maxItems: 200,
    description: 'Models the key may use; empty: all',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  allowed_models?: string[];

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, maximum: 1_000_000 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  requests_per_minute?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, maximum: 2_000_000_000 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(2_000_000_000)
  tokens_per_day?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, maximum: 2_000_000_000 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(2_000_000_000)
  tokens_per_minute?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, maximum: 2_000_000_000 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(2_000_000_000)
  requests_per_day?: number | null;

  /** US cents a day, priced from the model price table (GET /api/v1/admin/prices). */
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: 100_000_000,
    description: 'US cents a UTC day',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  cost_per_day?: number | null;

  /** US cents a calendar month (UTC). */
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: 100_000_000,
    description: 'US cents a UTC month',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  cost_per_month?: number | null;

  /** Requests in flight at once; null: the gateway's default (KEY_MAX_CONCURRENT). */
  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, maximum: 100_000 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(100_000)
  max_concurrent?: number | null;

  /** Personal data in prompts: off, mask or block; null: the gateway's PII_DEFAULT_POLICY. */
  @ApiPropertyOptional({
    enum: ['off', 'mask', 'block'],
    nullable: true,
    description: 'null: PII_DEFAULT_POLICY',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsIn(['off', 'mask', 'block'])
  pii_policy?: 'off' | 'mask' | 'block' | null;

  /** Addresses and CIDRs (IPv4, IPv6) requests must come from; empty: any. */
  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_ALLOWED_IPS,
    description: 'IP addresses and CIDRs; empty: any',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWED_IPS)
  @IsString({ each: true })
  @IsNetwork({ each: true })
  allowed_ips?: string[];

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'In the future; null clears',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @Type(() => Date)
  @IsDate()
  @MinDate(() => new Date(), { message: 'expires_at must be in the future' })
  expires_at?: Date | null;
}
