import { Controller, Get, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/access.decorator.js';
import { type Readiness, ReadinessService } from './readiness.service.js';

/** Probes for orchestrators: unauthenticated, unthrottled, and free of detail beyond up/down. */
@Public()
@SkipThrottle({ ip: true, key: true })
@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Readiness & { status: string }> {
    const result = await this.readiness.check();
    reply.code(result.ready ? 200 : 503);
    return { status: result.ready ? 'ready' : 'unavailable', ...result };
  }
}
