import {
  Body,
  Controller,
  Delete,
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
import type { AccountView } from './account-view.js';
import { type AccountPage, AccountsService } from './accounts.service.js';
import { CreateAccountDto } from './dto/create-account.dto.js';
import { ListAccountsQuery } from './dto/list-accounts.query.js';
import { UpdateAccountDto } from './dto/update-account.dto.js';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { AccountPageResponse, AccountResponse } from './dto/account.response.js';

/** Admin management of upstream accounts. The credential is write-only: no response holds it. */
@ApiTags('admin: accounts')
@AdminOnly()
@Controller('api/v1/admin/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @ApiCreatedResponse({ type: AccountResponse })
  @ApiErrors([503, 'The gateway has no CREDENTIALS_PUBLIC_KEY to seal the credential with'])
  create(@Body() dto: CreateAccountDto, @AuditContext() ctx: RequestContext): Promise<AccountView> {
    return this.accounts.create(dto, ctx);
  }

  @Get()
  @ApiOkResponse({ type: AccountPageResponse })
  list(@Query() query: ListAccountsQuery): Promise<AccountPage> {
    return this.accounts.list(query.limit, query.cursor);
  }

  @Get(':id')
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(404)
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<AccountView> {
    return this.accounts.get(id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(404)
  update(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: UpdateAccountDto,
    @AuditContext() ctx: RequestContext,
  ): Promise<AccountView> {
    return this.accounts.update(id, dto, ctx);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(404)
  pause(
    @Param('id', new ParseUUIDPipe()) id: string,
    @AuditContext() ctx: RequestContext,
  ): Promise<AccountView> {
    return this.accounts.setStatus(id, 'paused', ctx);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors(404)
  resume(
    @Param('id', new ParseUUIDPipe()) id: string,
    @AuditContext() ctx: RequestContext,
  ): Promise<AccountView> {
    return this.accounts.setStatus(id, 'active', ctx);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404)
  remove(
    @Param('id', new ParseUUIDPipe()) id: string,
    @AuditContext() ctx: RequestContext,
  ): Promise<void> {
    return this.accounts.remove(id, ctx);
  }
}
