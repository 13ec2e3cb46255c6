import { ApiProperty } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsNumber,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';

/** Far above any list price (USD per million tokens): a typo in the thousands stands out. */
export const MAX_PRICE_PER_MTOK = 10_000;
export const MAX_PRICE_OVERRIDES = 1_000;

/**
 * 1 to 200 code points (as Postgres counts them for the column's CHECK, which `Length` does
 * not: it counts variation selectors as nothing) and no control characters, which only hide
 * what a name really is in logs and listings.
 */
const MODEL_NAME = /^\P{Cc}{1,200}$/u;

const PriceRules = () =>
  applyDecorators(
    IsNumber(
      { allowNaN: false, allowInfinity: false },
      { message: '$property must be a number (USD per million tokens)' },
    ),
    Min(0),
    Max(MAX_PRICE_PER_MTOK),
  );

/** The models listed more than once, each named once. */
function repeatedModels(entries: unknown): string[] {
  if (!Array.isArray(entries)) return [];
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const entry of entries) {
    const model = (entry as { model?: unknown } | null)?.model;
    if (typeof model !== 'string') continue;
    if (seen.has(model)) repeated.add(model);
    seen.add(model);
  }
  return [...repeated];
}

/** Each model at most once: which of two prices was meant cannot be guessed. */
function NoRepeatedModels(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'noRepeatedModels',
      validator: {
        validate: (value: unknown) => repeatedModels(value).length === 0,
        defaultMessage: (args) =>
          `prices lists a model more than once: ${repeatedModels(args?.value)
            .map((m) => JSON.stringify(m))
            .join(', ')}`,
      },
    },
    options,
  );
}

export class PriceEntryDto {
  @ApiProperty({ type: String, minLength: 1, maxLength: 200 })
  @IsString()
  @Matches(MODEL_NAME, { message: 'model must be 1 to 200 characters, without control characters' })
  model!: string;

  @ApiProperty({
    type: Number,
    minimum: 0,
    maximum: MAX_PRICE_PER_MTOK,
    description: 'USD per million input tokens',
  })
  @PriceRules()
  input_per_mtok!: number;

  @ApiProperty({
    type: Number,
    minimum: 0,
    maximum: MAX_PRICE_PER_MTOK,
    description: 'USD per million output tokens',
  })
  @PriceRules()
  output_per_mtok!: number;
}

/** PUT /api/v1/admin/prices: the complete set of overrides; the defaults stay underneath. */
export class ReplacePricesDto {
  @ApiProperty({ type: [PriceEntryDto], maxItems: MAX_PRICE_OVERRIDES })
  @IsArray()
  @ArrayMaxSize(MAX_PRICE_OVERRIDES)
  @ValidateNested({ each: true })
  @Type(() => PriceEntryDto)
  @NoRepeatedModels()
  prices!: PriceEntryDto[];
}
