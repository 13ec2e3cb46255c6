import { Controller, Get } from '@nestjs/common';
import { CurrentKey } from '../auth/client-key.decorator.js';
import type { ClientKey } from '../auth/principal.js';

export type MeView = {
  key_id: string;
  name: string | null;
  prefix: string;
  allowed_models: string[];
  requests_per_minute: number | null;
  tokens_per_day: number | null;
  max_concurrent: number | null;
  allowed_ips: string[];
  expires_at: string | null;
};

/** Lets a client check which key it is using and what that key may do. */
@Controller('api/v1/me')
export class MeController {
  @Get()
  me(@CurrentKey() key: ClientKey): MeView {
    return {
      key_id: key.id,
      name: key.name,
      prefix: key.prefix,
      allowed_models: key.allowedModels,
      requests_per_minute: key.requestsPerMinute,
      tokens_per_day: key.tokensPerDay,
      max_concurrent: key.maxConcurrent,
      allowed_ips: key.allowedIps,
      expires_at: key.expiresAt ? key.expiresAt.toISOString() : null,
    };
  }
}
