import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

/** `GET /api/v1/admin/audit/verify?expect_head=`: a token from `audit/head`, stored elsewhere. */
export class VerifyAuditQuery {
  @IsOptional()
  @Matches(/^ah1\.\d{1,19}\.[0-9a-f]{64}\.\d{1,16}\.[0-9a-f]{64}$/, {
    message: 'expect_head must be a token from GET /api/v1/admin/audit/head',
  })
  @ApiPropertyOptional({ type: String, description: 'A token from GET /api/v1/admin/audit/head' })
  expect_head?: string;
}
