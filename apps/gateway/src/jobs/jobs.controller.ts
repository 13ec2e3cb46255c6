import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MetersTokens } from '../admission/meters-tokens.decorator.js';
import { CurrentKey } from '../auth/client-key.decorator.js';
import type { ClientKey } from '../auth/principal.js';
import { CreateJobDto } from './dto/create-job.dto.js';
import { ListJobsQuery } from './dto/list-jobs.query.js';
import { parseIdempotencyKey } from './idempotency-key.js';
import type { JobView } from './job-view.js';
import { type JobPage, JobsService } from './jobs.service.js';
import { ApiAcceptedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { JobAcceptedResponse, JobPageResponse, JobResponse } from './dto/job.response.js';

export type JobAccepted = { id: string; status: string };

/** Async proxy requests: submit, then poll. A key sees only its own jobs. */
@ApiTags('client')
@Controller('api/v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @HttpCode(202)
  @MetersTokens()
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'The same key and body within its window return the first job (1 to 200 printable ASCII)',
  })
  @ApiAcceptedResponse({
    type: JobAcceptedResponse,
    description: 'Queued; `Location` names the job, `Idempotent-Replayed: true` on a replay',
  })
  @ApiErrors(
    [403, 'A model the key may not use, or (`price_unknown`) a model without a price'],
    [409, 'The Idempotency-Key was used with a different request'],
  )
  async submit(
    @CurrentKey() key: ClientKey,
    @Body() dto: CreateJobDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobAccepted> {
    const job = await this.jobs.submit(key, dto, parseIdempotencyKey(idempotencyKey), req);
    reply.header('Location', `/api/v1/jobs/${job.id}`);
    if (job.replayed) reply.header('Idempotent-Replayed', 'true');
    return { id: job.id, status: job.status };
  }

  @Get()
  @ApiOkResponse({ type: JobPageResponse })
  list(@CurrentKey() key: ClientKey, @Query() query: ListJobsQuery): Promise<JobPage> {
    return this.jobs.list(key, query.limit, query.cursor, query.status);
  }

  /** Another key's job, an unknown id and an expired result all answer the same 404. */
  @Get(':id')
  @ApiOkResponse({ type: JobResponse })
  @ApiErrors(404)
  get(@CurrentKey() key: ClientKey, @Param('id') id: string): Promise<JobView> {
    return this.jobs.get(key, id);
  }
}
