import { Controller, Get, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { ClientKey } from '../auth/principal.js';

export type MeView = {
  key_id: string;
  name: string | null;
  prefix: string;
  allowed_models: string[];
  requests_per_minute: number | null;
  tokens_per_day: number | null;
  expires_at: string | null;
};

/** Lets a client check which key it is using and what that key may do. */
@Controller('api/v1/me')
export class MeController {
  @Get()
  me(@Req() req: Request): MeView {
    // The global guard admits only client keys here, so a client principal is set.
    const key = (req.principal as { key: ClientKey }).key;
    return {
      key_id: key.id,
      name: key.name,
      prefix: key.prefix,
      allowed_models: key.allowedModels,
      requests_per_minute: key.requestsPerMinute,
      tokens_per_day: key.tokensPerDay,
      expires_at: key.expiresAt ? key.expiresAt.toISOString() : null,
    };
  }
}
