import { Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientFacts } from '../http/request-context.js';
import { AdminOnly } from '../auth/access.decorator.js';
import {
  type AuditPage,
  AuditService,
  type DeadLetterPage,
  type VerifyResult,
} from './audit.service.js';
import { ListAuditQuery } from './dto/list-audit.query.js';
import { ListDeadLettersQuery } from './dto/list-dead-letters.query.js';
import { RunRetentionQuery } from './dto/run-retention.query.js';
import { RetentionService } from './retention.service.js';
import type { RetentionSummary } from '@gatehouse/queue';

/** The operator's view of the audit trail: query it, verify its chain, see what was refused. */
@AdminOnly()
@Controller('api/v1/admin/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  list(@Query() query: ListAuditQuery): Promise<AuditPage> {
    return this.audit.list(query);
  }

  @Get('verify')
  verify(): Promise<VerifyResult> {
    return this.audit.verify();
  }

  @Get('dead-letters')
  deadLetters(@Query() query: ListDeadLettersQuery): Promise<DeadLetterPage> {
    return this.audit.deadLetters(query.limit, query.cursor);
  }
}

const DEFAULT_WAIT_SECONDS = 30;

@AdminOnly()
@Controller('api/v1/admin/retention')
export class RetentionController {
  constructor(private readonly retention: RetentionService) {}

  /** 200 with the summary when the audit app finishes in time; 202 with the job id otherwise. */
  @Post('run')
  @HttpCode(200)
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
