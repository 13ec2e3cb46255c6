import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { type PiiMapping, PiiDetector, maskRequestBody } from '@gatehouse/pii';
import { ENDPOINTS } from '@gatehouse/providers';
import type { ProxyEndpoint } from '@gatehouse/queue';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import type { RequestContext } from '../audit-trail/request-context.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { ClientKey } from '../auth/principal.js';
import { TypedHttpException } from '../http/typed-http-exception.js';

export type PiiPolicy = 'off' | 'mask' | 'block';

/** A request body as it may leave the gateway, and how to put the originals back. */
export type MaskedRequest = {
  body: Record<string, unknown>;
  /** Empty when nothing was masked: responses then pass through untouched. */
  mapping: PiiMapping;
};

/**
 * Personal data in prompts, per the key's policy: masked with typed placeholders before the job
 * is queued (so neither Redis nor the provider ever holds an original), or refused. The audit
 * trail records how many of each type, never a value.
 */
@Injectable()
export class PiiMasking {
  private readonly detector: PiiDetector;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: GatewayAudit,
    private readonly metrics: GatewayMetrics,
  ) {
    this.detector = new PiiDetector({
      customPatterns: config.PII_CUSTOM_PATTERNS,
      terms: config.PII_TERMS,
    });
  }

  policyOf(key: ClientKey): PiiPolicy {
    return key.piiPolicy ?? this.config.PII_DEFAULT_POLICY;
  }

  /**
   * The body to queue. Throws 400 `pii_detected` (naming the types found) for `block`. What was
   * found is recorded as `ctx`'s.
   */
  apply(
    key: ClientKey,
    endpoint: ProxyEndpoint,
    body: Record<string, unknown>,
    ctx: RequestContext,
  ): MaskedRequest {
    const policy = this.policyOf(key);
    if (policy === 'off') return { body, mapping: {} };
    const masked = maskRequestBody(this.detector, ENDPOINTS[endpoint].provider, body);
    const types = Object.keys(masked.counts).sort();
    if (types.length === 0) return { body, mapping: {} };
    if (policy === 'block') {
      this.audit.record(ctx, 'pii.blocked', { types });
      this.metrics.rejected('pii_block');
      throw new TypedHttpException(
        `The request holds personal data (${types.join(', ')}) and this key's policy refuses it`,
        HttpStatus.BAD_REQUEST,
        'pii_detected',
      );
    }
    this.audit.record(ctx, 'pii.masked', { ...masked.counts });
    return { body: masked.body, mapping: masked.mapping };
  }
}
