import { Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientFacts } from '../http/request-context.js';
import { AdminOnly } from '../auth/access.decorator.js';
import { type AuditPage, AuditService, type DeadLetterPage } from './audit.service.js';
import { ChainChecks } from './chain-checks.service.js';
import { ListAuditQuery } from './dto/list-audit.query.js';
import { ListDeadLettersQuery } from './dto/list-dead-letters.query.js';
import { RunRetentionQuery } from './dto/run-retention.query.js';
import { RetentionTrigger } from './retention-trigger.js';
import { VerifyAuditQuery } from './dto/verify-audit.query.js';
import type { RetentionSummary, SignedHead, VerifyResult } from '@gatehouse/queue';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  AuditPageResponse,
  DeadLetterPageResponse,
  RetentionQueuedResponse,
  RetentionSummaryResponse,
  SignedHeadResponse,
  VerifyResultResponse,
} from './dto/audit.response.js';

/** The operator's view of the audit trail: query it, verify its chain, see what was refused. */
@ApiTags('admin: audit')
@AdminOnly()
@Controller('api/v1/admin/audit')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly checks: ChainChecks,
  ) {}

  @Get()
  @ApiOkResponse({ type: AuditPageResponse })
  list(@Query() query: ListAuditQuery): Promise<AuditPage> {
    return this.audit.list(query);
  }

  /** Verified by the audit app (it alone holds the chain key); `expect_head` detects a cut tail. */
  @Get('verify')
  @ApiOkResponse({ type: VerifyResultResponse })
  verify(@Query() query: VerifyAuditQuery): Promise<VerifyResult> {
    return this.checks.verify(
      query.expect_head === undefined ? {} : { expect_head: query.expect_head },
    );
  }

  /** The newest link, signed by the audit app: store it off the server to detect truncation. */
  @Get('head')
  @ApiOkResponse({ type: SignedHeadResponse })
  head(): Promise<SignedHead> {
    return this.checks.head();
  }

  @Get('dead-letters')
  @ApiOkResponse({ type: DeadLetterPageResponse })
  deadLetters(@Query() query: ListDeadLettersQuery): Promise<DeadLetterPage> {
    return this.audit.deadLetters(query.limit, query.cursor);
  }
}

const DEFAULT_WAIT_SECONDS = 30;

@ApiTags('admin: audit')
@AdminOnly()
@Controller('api/v1/admin/retention')
export class RetentionController {
  constructor(private readonly retention: RetentionTrigger) {}

  /** 200 with the summary when the audit app finishes in time; 202 with the job id otherwise. */
  @Post('run')
  @HttpCode(200)
  @ApiOkResponse({ type: RetentionSummaryResponse, description: 'Finished within wait_seconds' })
  @ApiAcceptedResponse({ type: RetentionQueuedResponse, description: 'Still running' })
  async run(
    @Query() query: RunRetentionQuery,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RetentionSummary | { job_id: string; status: 'queued' }> {
    const outcome = await this.retention.run(
      {
        trigger: 'admin',
        request: auditRequest(req),
      },
      (query.wait_seconds ?? DEFAULT_WAIT_SECONDS) * 1000,
    );
    if (outcome.status === 'completed') return outcome.summary;
    reply.code(202);
    return { job_id: outcome.job_id, status: 'queued' };
  }
}

function auditRequest(req: FastifyRequest) {
  const { requestId, ...facts } = clientFacts(req);
  return { request_id: requestId, ...facts };
}
