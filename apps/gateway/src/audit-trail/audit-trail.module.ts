import { AuditProducerModule } from '@gatehouse/queue';
import { Module } from '@nestjs/common';
import { GatewayAudit } from './gateway-audit.service.js';

@Module({
  imports: [AuditProducerModule],
  providers: [GatewayAudit],
  exports: [GatewayAudit],
})
export class AuditTrailModule {}
