import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MetersTokens } from '../admission/meters-tokens.decorator.js';
import { CurrentKey } from '../auth/client-key.decorator.js';
import type { ClientKey } from '../auth/principal.js';
import { SyncProxy } from './sync-proxy.service.js';

/** The provider-compatible endpoints: official SDKs work against them unchanged. */
@Controller('v1')
@MetersTokens()
export class ProxyController {
  constructor(private readonly proxy: SyncProxy) {}

  /** OpenAI-compatible chat completions, JSON or `stream: true` SSE. */
  @Post('chat/completions')
  @HttpCode(200)
  chatCompletions(
    @CurrentKey() key: ClientKey,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.proxy.handle('chat.completions', key, req, reply);
  }

  /** Anthropic-compatible messages, JSON or `stream: true` SSE. */
  @Post('messages')
  @HttpCode(200)
  messages(
    @CurrentKey() key: ClientKey,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.proxy.handle('messages', key, req, reply);
  }
}
