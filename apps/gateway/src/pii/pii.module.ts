import { Module } from '@nestjs/common';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { PiiMasking } from './pii-masking.service.js';
import { PiiVault } from './pii-vault.js';

/** Personal data: masked on the way out, restored on the way back, sealed for async jobs. */
@Module({
  imports: [AuditTrailModule],
  providers: [PiiMasking, PiiVault],
  exports: [PiiMasking, PiiVault],
})
export class PiiModule {}
