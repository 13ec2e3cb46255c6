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
import type { AccountView } from './account-view.js';
import { type AccountPage, AccountsService } from './accounts.service.js';
import { CreateAccountDto } from './dto/create-account.dto.js';
import { ListAccountsQuery } from './dto/list-accounts.query.js';
import { UpdateAccountDto } from './dto/update-account.dto.js';

/** Admin management of upstream accounts. The credential is write-only: no response holds it. */
@AdminOnly()
@Controller('api/v1/admin/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  create(@Body() dto: CreateAccountDto): Promise<AccountView> {
    return this.accounts.create(dto);
  }

  @Get()
  list(@Query() query: ListAccountsQuery): Promise<AccountPage> {
    return this.accounts.list(query.limit, query.cursor);
  }

  @Get(':id')
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<AccountView> {
    return this.accounts.get(id);
  }

  @Patch(':id')
  update(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: UpdateAccountDto,
  ): Promise<AccountView> {
    return this.accounts.update(id, dto);
  }

  @Post(':id/pause')
  @HttpCode(200)
  pause(@Param('id', new ParseUUIDPipe()) id: string): Promise<AccountView> {
    return this.accounts.setStatus(id, 'paused');
  }

  @Post(':id/resume')
  @HttpCode(200)
  resume(@Param('id', new ParseUUIDPipe()) id: string): Promise<AccountView> {
    return this.accounts.setStatus(id, 'active');
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    return this.accounts.remove(id);
  }
}
