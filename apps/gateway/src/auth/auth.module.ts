import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { AuthService } from './auth.service.js';
import { KeyCache } from './key-cache.js';

@Module({
  imports: [KeysModule],
  providers: [AuthService, KeyCache],
  exports: [KeyCache, AuthService],
})
export class AuthModule {}
