import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { AdminOnly } from '../auth/access.decorator.js';
import { AuditContext, type RequestContext } from '../audit-trail/request-context.js';
import { CreateKeyDto } from './dto/create-key.dto.js';
import { ListKeysQuery } from './dto/list-keys.query.js';
import { RotateKeyDto } from './dto/rotate-key.dto.js';
import { UpdateKeyDto } from './dto/update-key.dto.js';
import { type KeyPage, KeysService, type KeyWithSecret } from './keys.service.js';
import type { KeyView } from './key-view.js';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { KeyPageResponse, KeyResponse, KeyWithSecretResponse } from './dto/key.response.js';

/** Admin management of client keys. The secret appears only in create and rotate responses. */
@ApiTags('admin: keys')
@AdminOnly()
@Controller('api/v1/admin/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post()
  @ApiCreatedResponse({ type: KeyWithSecretResponse, description: 'The key; its secret only here' })
  create(@Body() dto: CreateKeyDto, @AuditContext() ctx: RequestContext): Promise<KeyWithSecret> {
    return this.keys.create(dto, ctx);
  }

  @Get()
  @ApiOkResponse({ type: KeyPageResponse })
  list(@Query() query: ListKeysQuery): Promise<KeyPage> {
    return this.keys.list(query.limit, query.cursor, query.search);
  }

  @Get(':id')
  @ApiOkResponse({ type: KeyResponse })
  @ApiErrors(404)
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<KeyView> {
    return this.keys.get(id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: KeyResponse })
  @ApiErrors(404)
  update(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: UpdateKeyDto,
    @AuditContext() ctx: RequestContext,
  ): Promise<KeyView> {
    return this.keys.update(id, dto, ctx);
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @ApiOkResponse({ type: KeyWithSecretResponse, description: 'The new secret, only here' })
  @ApiErrors(404)
  rotate(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: RotateKeyDto,
    @AuditContext() ctx: RequestContext,
  ): Promise<KeyWithSecret> {
    return this.keys.rotate(id, dto, ctx);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOkResponse({ type: KeyResponse })
  @ApiErrors(404)
  revoke(
    @Param('id', new ParseUUIDPipe()) id: string,
    @AuditContext() ctx: RequestContext,
  ): Promise<KeyView> {
    return this.keys.revoke(id, ctx);
  }
}
