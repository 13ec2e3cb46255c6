import type { ProxyEndpoint } from '@gatehouse/queue';
import { type ValidatedRequest, validateRequestBody } from '@gatehouse/providers';
import { BadRequestException, ForbiddenException, Injectable } from '@nestjs/common';
import type { ClientKey } from '../auth/principal.js';

/**
 * What every proxied request must pass before it is queued, beyond admission (which already
 * refused a key over its limits or its tokens/day): the body's shape and the model allowlist.
 */
@Injectable()
export class ProxyRequestPolicy {
  admit(endpoint: ProxyEndpoint, key: ClientKey, body: unknown): ValidatedRequest {
    const validated = validateRequestBody(endpoint, body);
    if (!validated.ok) throw new BadRequestException(validated.message);
    const { model } = validated.value;
    if (key.allowedModels.length > 0 && !key.allowedModels.includes(model)) {
      throw new ForbiddenException(`This key may not use model "${model}"`);
    }
    return validated.value;
  }
}
