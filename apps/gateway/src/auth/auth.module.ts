import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { BearerApiKeyStrategy, XApiKeyStrategy } from './api-key.strategies.js';
import { AuthService } from './auth.service.js';
import { GatewayAuthGuard } from './gateway-auth.guard.js';
import { KeyCache } from './key-cache.js';

@Module({
  imports: [PassportModule, KeysModule, ThrottleModule, AuditTrailModule],
  providers: [AuthService, KeyCache, XApiKeyStrategy, BearerApiKeyStrategy, GatewayAuthGuard],
  exports: [GatewayAuthGuard, KeyCache, AuthService],
})
export class AuthModule {}
