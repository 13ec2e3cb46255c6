import { UpstreamAccount } from '@gatehouse/db';
import { Controller, Get } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CurrentKey } from '../auth/client-key.decorator.js';
import type { ClientKey } from '../auth/principal.js';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ModelListResponse } from './dto/model-list.response.js';

export type ModelList = {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string }[];
};

/**
 * `GET /v1/models` in OpenAI's shape: the models the configured accounts serve that this key
 * may use. An account with no model list serves anything, so then the key's allowlist decides.
 */
@ApiTags('proxy')
@Controller('v1/models')
export class ModelsController {
  constructor(
    @InjectRepository(UpstreamAccount) private readonly accounts: Repository<UpstreamAccount>,
  ) {}

  @Get()
  @ApiOkResponse({ type: ModelListResponse, description: 'The models this key may use' })
  async list(@CurrentKey() key: ClientKey): Promise<ModelList> {
    const active = await this.accounts.find({
      where: { status: 'active' },
      select: { provider: true, models: true },
    });
    const owner = new Map<string, string>();
    let servesAny = false;
    for (const account of active) {
      if (account.models.length === 0) servesAny = true;
      for (const model of account.models) if (!owner.has(model)) owner.set(model, account.provider);
    }
    const ids =
      key.allowedModels.length > 0
        ? key.allowedModels.filter((m) => servesAny || owner.has(m))
        : [...owner.keys()];
    return {
      object: 'list',
      data: ids
        .sort()
        .map((id) => ({ id, object: 'model', created: 0, owned_by: owner.get(id) ?? 'gatehouse' })),
    };
  }
}
