import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { AuthService } from './auth.service.js';
import type { Principal } from './principal.js';

export const X_API_KEY_STRATEGY = 'x-api-key';
export const BEARER_STRATEGY = 'bearer-api-key';

/** `x-api-key: <key>` */
@Injectable()
export class XApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, X_API_KEY_STRATEGY) {
  constructor(private readonly auth: AuthService) {
    super({ header: 'x-api-key', prefix: '' }, false);
  }

  async validate(apiKey: string): Promise<Principal | false> {
    return (await this.auth.authenticate(apiKey)) ?? false;
  }
}

/** `Authorization: Bearer <key>` */
@Injectable()
export class BearerApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, BEARER_STRATEGY) {
  constructor(private readonly auth: AuthService) {
    super({ header: 'authorization', prefix: 'Bearer ' }, false);
  }

  async validate(apiKey: string): Promise<Principal | false> {
    return (await this.auth.authenticate(apiKey)) ?? false;
  }
}
