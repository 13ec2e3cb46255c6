import { ApiPropertyOptional } from '@nestjs/swagger';
import { UPSTREAM_ACCOUNT_STATUSES, UPSTREAM_PROVIDERS } from '@gatehouse/db';
import { applyDecorators } from '@nestjs/common';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';

/**
 * Field rules shared by create and patch. Optional fields may be left out but never `null`:
 * every column is NOT NULL. Messages name fields, never values (the credential above all).
 */
export const Optional = () => ValidateIf((_o, v) => v !== undefined);

export const NameRules = () => applyDecorators(IsString(), Length(1, 200));

export const ProviderRules = () =>
  applyDecorators(
    IsIn(UPSTREAM_PROVIDERS, {
      message: `provider must be one of: ${UPSTREAM_PROVIDERS.join(', ')}`,
    }),
  );

export const BaseUrlRules = () =>
  applyDecorators(
    IsString(),
    MaxLength(500),
    IsUrl(
      {
        protocols: ['http', 'https'],
        require_protocol: true,
        require_tld: false, // local servers: http://ollama:11434/v1
        allow_underscores: true,
        disallow_auth: true, // credentials go in `credential`, sealed; never in a URL
      },
      { message: 'base_url must be an http(s) URL without user info' },
    ),
  );

export const CredentialRules = () =>
  applyDecorators(
    IsString(),
    Length(1, 10_000),
    // It becomes a header value upstream: no line breaks or NULs that could split a header.
    Matches(/^[^\r\n\0]*$/, { message: 'credential must not contain line breaks' }),
  );

export const StatusRules = () =>
  applyDecorators(
    IsIn(UPSTREAM_ACCOUNT_STATUSES, {
      message: `status must be one of: ${UPSTREAM_ACCOUNT_STATUSES.join(', ')}`,
    }),
  );

/** Fields that are optional on both create and patch. */
export class AccountTuning {
  /** Models this account serves; empty means any. */
  @ApiPropertyOptional({ type: [String], maxItems: 500, description: 'Models served; empty: any' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  models?: string[];

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000 })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(1000)
  weight?: number;

  /** Higher is preferred. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: -1000,
    maximum: 1000,
    description: 'Higher is preferred',
  })
  @Optional()
  @IsInt()
  @Min(-1000)
  @Max(1000)
  priority?: number;

  @ApiPropertyOptional({ enum: UPSTREAM_ACCOUNT_STATUSES })
  @Optional()
  @StatusRules()
  status?: 'active' | 'paused';
}
