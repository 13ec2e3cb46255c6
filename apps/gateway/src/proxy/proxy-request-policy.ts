import type { ProxyEndpoint } from '@gatehouse/queue';
import { type ValidatedRequest, validateRequestBody } from '@gatehouse/providers';
import { BadRequestException, ForbiddenException, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import type { ClientKey } from '../auth/principal.js';
import { TokenBudget } from './token-budget.js';

/** What every proxied request must pass before it is queued: shape, model allowlist, budget. */
@Injectable()
export class ProxyRequestPolicy {
  constructor(private readonly budget: TokenBudget) {}

  async admit(
    endpoint: ProxyEndpoint,
    key: ClientKey,
    body: unknown,
    res: Response,
  ): Promise<ValidatedRequest> {
    const validated = validateRequestBody(endpoint, body);
    if (!validated.ok) throw new BadRequestException(validated.message);
    const { model } = validated.value;
    if (key.allowedModels.length > 0 && !key.allowedModels.includes(model)) {
      throw new ForbiddenException(`This key may not use model "${model}"`);
    }
    await this.budget.assertWithin(key, res);
    return validated.value;
  }
}
