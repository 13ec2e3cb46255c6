import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../pagination/page.query.js';

export class ListKeysQuery extends PageQuery {
  @ApiPropertyOptional({
    type: String,
    maxLength: 100,
    description: 'Only keys whose name or display prefix contains this (case-insensitive)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string;
}
