import { Controller, Get, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/access.decorator.js';
import { type Readiness, ReadinessService } from './readiness.service.js';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { LivenessResponse, ReadinessResponse } from './health.response.js';

/** Probes for orchestrators: unauthenticated, unthrottled, and free of detail beyond up/down. */
@ApiTags('health')
@Public()
@SkipThrottle({ ip: true, key: true })
@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get('health')
  @ApiOkResponse({ type: LivenessResponse, description: 'The process is up' })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOkResponse({ type: ReadinessResponse, description: 'Postgres and Redis answer' })
  @ApiServiceUnavailableResponse({ type: ReadinessResponse, description: 'One of them does not' })
  async ready(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Readiness & { status: string }> {
    const result = await this.readiness.check();
    reply.code(result.ready ? 200 : 503);
    return { status: result.ready ? 'ready' : 'unavailable', ...result };
  }
}
