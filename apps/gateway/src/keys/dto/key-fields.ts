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
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @Length(1, 200)
  name?: string | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  allowed_models?: string[];

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  requests_per_minute?: number | null;

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(2_000_000_000)
  tokens_per_day?: number | null;

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(2_000_000_000)
  tokens_per_minute?: number | null;

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(2_000_000_000)
  requests_per_day?: number | null;

  /** US cents a day, priced from the model price table (GET /api/v1/admin/prices). */
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  cost_per_day?: number | null;

  /** US cents a calendar month (UTC). */
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  cost_per_month?: number | null;

  /** Requests in flight at once; null: the gateway's default (KEY_MAX_CONCURRENT). */
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(100_000)
  max_concurrent?: number | null;

  /** Personal data in prompts: off, mask or block; null: the gateway's PII_DEFAULT_POLICY. */
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsIn(['off', 'mask', 'block'])
  pii_policy?: 'off' | 'mask' | 'block' | null;

  /** Addresses and CIDRs (IPv4, IPv6) requests must come from; empty: any. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWED_IPS)
  @IsString({ each: true })
  @IsNetwork({ each: true })
  allowed_ips?: string[];

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @Type(() => Date)
  @IsDate()
  @MinDate(() => new Date(), { message: 'expires_at must be in the future' })
  expires_at?: Date | null;
}
