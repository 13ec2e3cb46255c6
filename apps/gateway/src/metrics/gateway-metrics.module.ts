import { Global, Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway-metrics.js';

/** The gateway's instruments, for the edge, admission, PII and the proxy alike. */
@Global()
@Module({ providers: [GatewayMetrics], exports: [GatewayMetrics] })
export class GatewayMetricsModule {}
